// Helpers for the live-room tests: a published meeting with people and
// halls (set up through the API: it is not what is under test), and the
// browser steps every live test repeats through the UI only: sign in, join
// the call (a person chooses how, a hall joins by itself), wait until the
// main picture plays, read what the page says is on the floor.

import { signIn } from './api.js';

export const password = process.env.CAU_DEMO_PASSWORD || 'cau-demo';

/**
 * @typedef {object} Person
 * @property {string} username
 * @property {number} id
 * @property {string} name full name
 * @property {string} identity SFU identity of their own browser (user-<id>)
 */

/**
 * @typedef {object} LiveMeeting
 * @property {number} id
 * @property {Person} chair
 * @property {Person[]} people invited persons in the order given
 * @property {{id: number, name: string, operator: string, identity: string}[]} halls
 * @property {any[]} items agenda items
 */

/**
 * liveMeeting creates and publishes a meeting chaired by chutri, with the
 * given persons (username → meeting role), the first `halls` active halls
 * and two agenda items.
 * @param {string} base server URL
 * @param {{people: [string, string][], halls?: number, title?: string}} o
 * @returns {Promise<LiveMeeting>}
 */
export async function liveMeeting(base, o) {
	const sec = await signIn(base, 'thuky', password);
	const chair = await signIn(base, 'chutri', password);
	const start = new Date(Date.now() + 10 * 60_000);
	const m = await sec.call('POST', '/meetings', {
		kind: 'regular', title: o.title ?? 'Phiên họp trực tuyến UBND tỉnh', place: 'Hội trường tầng 3',
		starts_at: start.toISOString(), ends_at: new Date(start.getTime() + 2 * 3600_000).toISOString(),
		chair_id: chair.user.id,
	});
	/** @type {Person[]} */
	const people = [];
	for (const [username, role] of o.people) {
		const u = await signIn(base, username, password);
		await sec.call('PUT', `/meetings/${m.id}/participants/${u.user.id}`, { role });
		people.push({ username, id: u.user.id, name: u.user.full_name, identity: `user-${u.user.id}` });
	}
	const items = [];
	for (const title of ['Báo cáo tình hình kinh tế – xã hội tháng 11', 'Ý kiến các đại biểu']) {
		items.push(await sec.call('POST', `/meetings/${m.id}/agenda`, { title, planned_minutes: 20 }));
	}
	const halls = (await sec.call('GET', '/halls?active=true')).halls.slice(0, o.halls ?? 2);
	if (halls.length) await sec.call('POST', `/meetings/${m.id}/halls`, { hall_ids: halls.map((/** @type {any} */ x) => x.id) });
	await sec.call('POST', `/meetings/${m.id}/publish`);
	const units = (await sec.call('GET', '/units')).units;
	return {
		id: m.id, items, people,
		chair: { username: 'chutri', id: chair.user.id, name: chair.user.full_name, identity: `user-${chair.user.id}` },
		halls: halls.map((/** @type {any} */ x) => ({
			id: x.id, name: x.name, identity: `hall-${x.id}`,
			operator: 'ktv.' + units.find((/** @type {any} */ u) => u.id === x.unit_id).code,
		})),
	};
}

/**
 * signInTo signs in through the login form and lands on path.
 * @param {import('playwright-core').Page} page
 * @param {string} base
 * @param {string} username
 * @param {string} path
 */
export async function signInTo(page, base, username, path) {
	await page.goto(`${base}/login?next=${encodeURIComponent(path)}`);
	await page.fill('#username', username);
	await page.fill('#password', password);
	await page.click('form.login button[type=submit]');
}

/**
 * enterRoom signs in and waits for the room's session state.
 * @param {import('playwright-core').Page} page
 * @param {string} base
 * @param {number} meeting
 * @param {string} username
 */
export async function enterRoom(page, base, meeting, username) {
	await signInTo(page, base, username, `/meetings/${meeting}`);
	await page.waitForSelector('#session-status', { timeout: 20_000 });
}

/**
 * joinCall makes a person join the call from the join panel in the given
 * mode (camera, mic, listen, hall).
 * @param {import('playwright-core').Page} page
 * @param {'camera'|'mic'|'listen'|'hall'} [mode]
 */
export async function joinCall(page, mode = 'camera') {
	await page.check(`#join-panel input[name=join-mode][value=${mode}]`);
	await page.click('#join-call');
	await page.waitForSelector(`#join-mode[data-mode=${mode}]`);
}

/**
 * mainPlays waits until the main picture shows decoded video that keeps
 * advancing (videoWidth > 0 and ten more frames).
 * @param {import('playwright-core').Page} page
 * @param {number} [timeout]
 */
export async function mainPlays(page, timeout = 20_000) {
	await page.waitForFunction(() => {
		const v = document.querySelector('#main-video');
		return v instanceof HTMLVideoElement && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 0;
	}, null, { timeout });
	const frames = await page.evaluate(() => /** @type {HTMLVideoElement} */ (document.querySelector('#main-video')).getVideoPlaybackQuality().totalVideoFrames);
	await page.waitForFunction((f) => {
		const v = /** @type {HTMLVideoElement} */ (document.querySelector('#main-video'));
		return v.getVideoPlaybackQuality().totalVideoFrames > f + 10 && v.videoWidth > 0;
	}, frames, { timeout });
}

/**
 * picture reads what the page says the main picture is.
 * @param {import('playwright-core').Page} page
 * @returns {Promise<{main: string, floor: string, pinned: string, screen: string, label: string}>}
 */
export function picture(page) {
	return page.evaluate(() => {
		const p = /** @type {HTMLElement} */ (document.querySelector('#main-picture'));
		return {
			main: p.dataset.main ?? '', floor: p.dataset.floor ?? '', pinned: p.dataset.pinned ?? '', screen: p.dataset.screen ?? '',
			label: document.querySelector('#floor-label')?.textContent ?? '',
		};
	});
}

/**
 * pictureIs waits until the page's main picture matches want (the fields given).
 * @param {import('playwright-core').Page} page
 * @param {{main?: string, floor?: string, pinned?: string, screen?: string}} want
 * @param {number} [timeout]
 */
export function pictureIs(page, want, timeout = 10_000) {
	return page.waitForFunction((w) => {
		const p = /** @type {HTMLElement|null} */ (document.querySelector('#main-picture'));
		if (!p) return false;
		return Object.entries(w).every(([k, v]) => p.dataset[k] === v);
	}, want, { timeout, polling: 'raf' });
}

/**
 * recent is the page's last SFU messages, for failure messages.
 * @param {import('playwright-core').Page} page
 */
export function recent(page) {
	return page.evaluate(() => /** @type {any} */ (globalThis).cauCall?.recent.join('\n') ?? 'no call');
}
