// Recording a session, through the UI only, against a real server whose
// SFU records (ffmpeg finishes the file): the chair, in the call with a
// fake camera and on the floor, clicks "Ghi hình"; the room says "Đang ghi
// hình"; the chair moves to the next agenda item and stops. Then the
// recordings page, the player: the video with the agenda chapters beside
// it; a click on chapter 2 jumps there, and the frame shown is decoded
// (videoWidth > 0, a canvas sample that is not blank). Firefox ESR plays
// the same recording and jumps to the same chapter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import puppeteer from 'puppeteer-core';
import { startServer } from '../lib/server.js';
import { asUser, openBrowser, shoot, sizes } from '../lib/browser.js';
import { signIn } from '../lib/api.js';
import { liveMeeting, enterRoom, joinCall, mainPlays, password } from '../lib/room.js';

/** @type {import('../lib/server.js').CauServer} */
let server;
/** @type {import('../lib/room.js').LiveMeeting} */
let meeting;
/** the player's path of the recording the first test made ('' until then) */
let playerPath = '';
const firefoxPath = process.env.FIREFOX || '/usr/bin/firefox-esr';

function haveFFmpeg() {
	try { execFileSync('ffprobe', ['-version'], { stdio: 'ignore' }); return true; } catch { return false; }
}

before(async () => {
	server = await startServer();
	meeting = await liveMeeting(server.url, { people: [['daibieu1', 'delegate']], halls: 0, title: 'Phiên họp thường kỳ tháng 12 (ghi hình)' });
	const chair = await signIn(server.url, 'chutri', password);
	await chair.call('POST', `/meetings/${meeting.id}/session/open`);
	await chair.call('PUT', `/meetings/${meeting.id}/session/current-item`, { item_id: meeting.items[0].id });
});
after(async () => { await server?.stop(); });

test('the chair records; the player jumps to chapter 2 and shows its frame', { skip: !haveFFmpeg() && 'ffmpeg not installed (deploy/local/ffmpeg.sh)' }, async () => {
	const b = await openBrowser(sizes.desktop);
	const page = b.page;
	try {
		await enterRoom(page, server.url, meeting.id, 'chutri');
		await joinCall(page, 'camera');
		// The chair takes the floor (not what is under test): the recorder
		// records the floor's picture.
		const chair = await signIn(server.url, 'chutri', password);
		const req = await chair.call('POST', `/meetings/${meeting.id}/session/speaking`, {});
		await chair.call('POST', `/meetings/${meeting.id}/session/speaking/${req.request_id}/grant`);
		await mainPlays(page);

		await page.click('#start-recording');
		await page.waitForSelector('#recording-on', { timeout: 10_000 });
		assert.match(await page.textContent('#recording-on') ?? '', /Đang ghi hình/);
		await shoot(page, 'recording-room', 'desktop');
		await page.waitForTimeout(4000);
		await page.click('#next-item');
		await page.waitForFunction((id) => document.querySelector('#current-item')?.getAttribute('data-item') === String(id), meeting.items[1].id);
		await page.waitForTimeout(4000);
		await page.click('#stop-recording');
		await page.waitForSelector('#recording-on', { state: 'detached', timeout: 15_000 });

		await page.click('#to-recordings');
		await page.click('#rec-list li a');
		// The page waits for the finishing job, then opens the player.
		await page.waitForSelector('#rec-video', { timeout: 90_000 });
		playerPath = new URL(page.url()).pathname;
		await page.waitForFunction(() => {
			const v = /** @type {HTMLVideoElement|null} */ (document.querySelector('#rec-video'));
			return !!v && v.readyState >= 1 && v.duration > 0;
		}, null, { timeout: 20_000 });
		const chapters = await page.$$eval('#rec-chapters li', (lis) => lis.map((li) => ({ n: li.getAttribute('data-chapter'), at: Number(li.getAttribute('data-at')), text: li.textContent })));
		assert.ok(chapters.length >= 2, `chapters: ${JSON.stringify(chapters)}`);
		assert.match(chapters[1].text ?? '', /2\. Ý kiến các đại biểu/);
		assert.ok(chapters[1].at > 3000, `chapter 2 at ${chapters[1].at} ms, after the ~4 s of item 1`);

		await page.click('#rec-chapters li[data-chapter="2"] button');
		await page.waitForFunction((at) => {
			const v = /** @type {HTMLVideoElement} */ (document.querySelector('#rec-video'));
			return !v.seeking && v.readyState >= 2 && Math.abs(v.currentTime - at / 1000) < 1.5;
		}, chapters[1].at, { timeout: 20_000 });
		const frame = await page.evaluate(sampleFrame);
		assert.ok(frame.w > 0 && frame.h > 0, `decoded size ${frame.w}×${frame.h}`);
		assert.ok(frame.spread > 10, `the frame at ${frame.t}s is blank: ${JSON.stringify(frame)}`);
		assert.ok(Math.abs(frame.t - chapters[1].at / 1000) < 1.5, `at ${frame.t}s, chapter 2 at ${chapters[1].at / 1000}s`);
		await shoot(page, 'recording-player', 'desktop');
		assert.deepEqual(b.problems.filter((p) => !/favicon/.test(p)), []);
	} catch (err) {
		await shoot(page, 'failure-recording', 'any').catch(() => {});
		throw new Error(`${err}\n${server.logs().slice(-4000)}`, { cause: err });
	} finally {
		await b.close();
	}
});

/**
 * sampleFrame pauses the player and says what it shows: its time, its
 * decoded size, and whether a 64×36 canvas copy of the frame is lit.
 */
function sampleFrame() {
	const v = /** @type {HTMLVideoElement} */ (document.querySelector('#rec-video'));
	v.pause();
	const c = document.createElement('canvas');
	c.width = 64; c.height = 36;
	const g = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d'));
	g.drawImage(v, 0, 0, c.width, c.height);
	const px = g.getImageData(0, 0, c.width, c.height).data;
	let min = 255, max = 0;
	for (let i = 0; i < px.length; i += 4) {
		const y = (px[i] + px[i + 1] + px[i + 2]) / 3;
		min = Math.min(min, y); max = Math.max(max, y);
	}
	return { t: v.currentTime, w: v.videoWidth, h: v.videoHeight, spread: max - min };
}

test('Firefox ESR plays the recording and jumps to chapter 2', { skip: !existsSync(firefoxPath) && 'no firefox-esr (deploy/local/firefox.sh)' }, async () => {
	assert.ok(playerPath, 'the first test made no recording');
	const ff = await puppeteer.launch({
		browser: 'firefox', executablePath: await asUser(firefoxPath), headless: true, protocol: 'webDriverBiDi',
		defaultViewport: { width: 1280, height: 800 },
		extraPrefsFirefox: { 'media.autoplay.default': 0, 'media.autoplay.blocking_policy': 0, 'intl.accept_languages': 'vi-VN, vi' },
	});
	/** @type {string[]} */
	const problems = [];
	try {
		const page = await ff.newPage();
		page.on('pageerror', (e) => problems.push('pageerror: ' + (e instanceof Error ? e.message : String(e))));
		await page.goto(`${server.url}/login?next=${encodeURIComponent(playerPath)}`);
		await page.waitForSelector('#username');
		// A participant, not the chair who recorded it.
		await page.type('#username', 'daibieu1');
		await page.type('#password', password);
		await page.click('form.login button[type=submit]');
		await page.waitForSelector('#rec-chapters li[data-chapter="2"] button', { timeout: 30_000 });
		await page.waitForFunction(() => {
			const v = /** @type {HTMLVideoElement|null} */ (document.querySelector('#rec-video'));
			return !!v && v.readyState >= 1 && v.duration > 0;
		}, { timeout: 20_000 });
		const at = Number(await page.$eval('#rec-chapters li[data-chapter="2"]', (li) => li.getAttribute('data-at')));
		await page.click('#rec-chapters li[data-chapter="2"] button');
		await page.waitForFunction((ms) => {
			const v = /** @type {HTMLVideoElement} */ (document.querySelector('#rec-video'));
			return !v.seeking && v.readyState >= 2 && Math.abs(v.currentTime - ms / 1000) < 1.5;
		}, { timeout: 20_000 }, at);
		const frame = await page.evaluate(sampleFrame);
		assert.ok(frame.w > 0 && frame.spread > 10, `Firefox shows ${JSON.stringify(frame)} at chapter 2 (${at} ms)`);
		assert.deepEqual(problems, [], 'Firefox page errors');
	} finally {
		await ff.close();
	}
});
