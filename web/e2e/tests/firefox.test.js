// The same join in Firefox ESR: a delegate joins from Debian's firefox-esr
// (driven over WebDriver BiDi by puppeteer-core; deploy/local/firefox.sh
// installs it) with its fake camera, a hall joins from chromium, and each
// decodes the other's picture. Test-only prefs let ICE use loopback and
// plain host addresses (the server listens on 127.0.0.1 only).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import puppeteer from 'puppeteer-core';
import { startServer } from '../lib/server.js';
import { asUser, openBrowser, sizes } from '../lib/browser.js';
import { enterRoom, liveMeeting, password } from '../lib/room.js';

const firefoxPath = process.env.FIREFOX || '/usr/bin/firefox-esr';

/** @type {import('../lib/server.js').CauServer} */
let server;
/** @type {import('../lib/room.js').LiveMeeting} */
let meeting;

before(async () => {
	server = await startServer();
	meeting = await liveMeeting(server.url, { people: [['daibieu1', 'delegate']], halls: 1, title: 'Giao ban trực tuyến' });
});
after(async () => { await server?.stop(); });

test('a person in Firefox ESR and a hall in chromium see each other', async () => {
	const [delegate] = meeting.people;
	const hall = await openBrowser(sizes.desktop);
	const ff = await puppeteer.launch({
		browser: 'firefox', executablePath: await asUser(firefoxPath), headless: true, protocol: 'webDriverBiDi',
		defaultViewport: { width: 1280, height: 800 },
		extraPrefsFirefox: {
			'media.navigator.streams.fake': true,
			'media.navigator.permission.disabled': true,
			'media.peerconnection.ice.loopback': true,
			'media.peerconnection.ice.obfuscate_host_addresses': false,
			'media.autoplay.default': 0,
			'media.autoplay.blocking_policy': 0,
			'intl.accept_languages': 'vi-VN, vi',
		},
	});
	/** @type {string[]} */
	const problems = [];
	try {
		await enterRoom(hall.page, server.url, meeting.id, meeting.halls[0].operator);
		const page = await ff.newPage();
		page.on('pageerror', (e) => problems.push('pageerror: ' + (e instanceof Error ? e.message : String(e))));
		await page.goto(`${server.url}/login?next=${encodeURIComponent('/meetings/' + meeting.id)}`);
		await page.waitForSelector('#username');
		await page.type('#username', delegate.username);
		await page.type('#password', password);
		await page.click('form.login button[type=submit]');
		await page.waitForSelector('#join-panel input[value=camera]', { timeout: 20_000 });
		await page.click('#join-panel input[value=camera]');
		await page.click('#join-call');

		// Firefox decodes the hall's picture (the floor: the first camera).
		try {
			await page.waitForFunction(() => {
				const v = document.querySelector('#main-video');
				return v instanceof HTMLVideoElement && v.videoWidth > 0 && !v.paused;
			}, { timeout: 30_000 });
			const t0 = await page.evaluate(() => /** @type {HTMLVideoElement} */ (document.querySelector('#main-video')).currentTime);
			await page.waitForFunction((t) => /** @type {HTMLVideoElement} */ (document.querySelector('#main-video')).currentTime > t + 0.5, { timeout: 10_000 }, t0);
		} catch (err) {
			throw new Error('Firefox never played the hall: ' + await page.evaluate(() => /** @type {any} */ (globalThis).cauCall?.recent.join('\n')), { cause: err });
		}
		assert.equal(await page.$eval('#main-picture', (p) => /** @type {HTMLElement} */ (p).dataset.floor), meeting.halls[0].identity);

		// The hall decodes the person's camera in its strip.
		await hall.page.waitForFunction((id) => {
			const v = document.querySelector(`#strip [data-identity="${id}"] video`);
			return v instanceof HTMLVideoElement && v.videoWidth > 0;
		}, delegate.identity, { timeout: 30_000 });
		assert.deepEqual(problems, [], 'Firefox page errors');
		assert.deepEqual(hall.problems, [], 'hall page errors');
	} finally {
		await ff.close();
		await hall.close();
	}
});
