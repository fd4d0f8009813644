// Launches Debian's chromium (never a downloaded browser) through
// playwright-core, with fake camera and microphone and a fresh profile.

import { chromium } from 'playwright-core';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './server.js';

export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
export const screenshotDir = path.join(repoRoot, 'artifacts', 'screenshots');

export const sizes = {
	desktop: { width: 1920, height: 1080 },
	tablet: { width: 1280, height: 800 },
	phone: { width: 390, height: 844 },
};

/**
 * openBrowser starts one chromium with its own profile; the returned close
 * removes the profile. o.video names a Y4M file for the fake camera
 * (lib/fakevideo.js) instead of chromium's built-in 720p pattern.
 * @param {{width: number, height: number}} [viewport]
 * @param {{video?: string}} [o]
 */
export async function openBrowser(viewport = sizes.desktop, o = {}) {
	const profile = await mkdtemp(path.join(tmpdir(), 'cau-chromium-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: chromiumPath,
		headless: true,
		viewport,
		locale: 'vi-VN',
		timezoneId: 'Asia/Ho_Chi_Minh',
		args: [
			'--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
			'--disable-sync', '--no-first-run', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
			'--autoplay-policy=no-user-gesture-required', '--auto-select-desktop-capture-source=Entire screen',
			...(o.video ? ['--use-file-for-fake-video-capture=' + o.video] : []),
		],
	});
	const page = context.pages()[0] ?? await context.newPage();
	/** @type {string[]} */
	const problems = [];
	page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
	page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
	return {
		context, page, problems,
		async close() {
			await context.close();
			await rm(profile, { recursive: true, force: true });
		},
	};
}

/**
 * shoot writes artifacts/screenshots/<name>-<size>.png.
 * @param {import('playwright-core').Page} page
 * @param {string} name
 * @param {string} size
 */
export async function shoot(page, name, size) {
	await mkdir(screenshotDir, { recursive: true });
	await page.screenshot({ path: path.join(screenshotDir, `${name}-${size}.png`), fullPage: false });
}
