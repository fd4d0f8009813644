// Launches Debian's chromium (never a downloaded browser) through
// playwright-core, with fake camera and microphone and a fresh profile.

import { chromium } from 'playwright-core';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './server.js';

export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

/** @type {Promise<string>|null} the directory of the launchers asUser writes */
let launchers = null;

/**
 * asUser returns how to start a browser at a user's priorities. Run as
 * root (as CI and these machines are), chromium raises its browser, IO,
 * compositor and audio threads to nice -8 — a user's browser cannot — and
 * five browsers' boosted threads starved the Cầu server under test (nice
 * 0; 500 ms round trips on loopback) and the pages' own main threads
 * (a click waited 30 s). So, as root, the browser starts through setpriv
 * without CAP_SYS_NICE, like any user's.
 * @param {string} browser the executable
 * @returns {Promise<string>}
 */
export function asUser(browser) {
	if (process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv')) return Promise.resolve(browser);
	launchers ??= mkdtemp(path.join(tmpdir(), 'cau-browser-'));
	return launchers.then(async (dir) => {
		const file = path.join(dir, path.basename(browser));
		if (!existsSync(file)) {
			await writeFile(file, `#!/bin/sh\nexec /usr/bin/setpriv --bounding-set=-sys_nice --inh-caps=-sys_nice ${browser} "$@"\n`);
			await chmod(file, 0o755);
		}
		return file;
	});
}

export const screenshotDir = path.join(repoRoot, 'artifacts', 'screenshots');

/** The screenshots' sizes: each screen is looked at in all three. */
export const sizes = {
	desktop: { width: 1920, height: 1080 },
	tablet: { width: 1280, height: 800 },
	phone: { width: 390, height: 844 },
};

/**
 * What browsers in a call run at between screenshots. Headless chromium
 * composites in software (--disable-gpu) at the viewport's size: the live
 * test's five browsers at desktop and tablet sizes used 70 s of CPU in its
 * 50 s (a 2-core machine), at these 58 s (the room's two-column layout
 * still, above its 900 px break). shoot() takes the named size for the
 * picture.
 */
export const callSizes = {
	desktop: { width: 1280, height: 720 },
	tablet: { width: 1024, height: 640 },
};

/**
 * inNamespace returns how to start a browser inside a network namespace
 * (lib/line.js), at a user's priorities as asUser: `ip netns exec` and
 * setpriv exec the browser, so playwright's pipe to it passes through.
 * Root only (ip netns exec).
 * @param {string} browser the executable
 * @param {string} ns the namespace
 * @returns {Promise<string>}
 */
export function inNamespace(browser, ns) {
	launchers ??= mkdtemp(path.join(tmpdir(), 'cau-browser-'));
	return launchers.then(async (dir) => {
		const file = path.join(dir, `${path.basename(browser)}-${ns}`);
		await writeFile(file, `#!/bin/sh\nexec /usr/sbin/ip netns exec ${ns} /usr/bin/setpriv --bounding-set=-sys_nice --inh-caps=-sys_nice ${browser} "$@"\n`);
		await chmod(file, 0o755);
		return file;
	});
}

/**
 * openBrowser starts one chromium with its own profile; the returned close
 * removes the profile. o.video names a Y4M file for the fake camera
 * (lib/fakevideo.js) instead of chromium's built-in 720p pattern; o.netns
 * a network namespace to run it in (behind a test line, lib/line.js);
 * o.secure an http origin other than loopback to treat as secure (camera
 * and microphone are offered to secure contexts only).
 * @param {{width: number, height: number}} [viewport]
 * @param {{video?: string, netns?: string, secure?: string}} [o]
 */
export async function openBrowser(viewport = sizes.desktop, o = {}) {
	const profile = await mkdtemp(path.join(tmpdir(), 'cau-chromium-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: await (o.netns ? inNamespace(chromiumPath, o.netns) : asUser(chromiumPath)),
		headless: true,
		viewport,
		locale: 'vi-VN',
		timezoneId: 'Asia/Ho_Chi_Minh',
		args: [
			'--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
			'--disable-sync', '--no-first-run', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
			'--autoplay-policy=no-user-gesture-required', '--auto-select-desktop-capture-source=Entire screen',
			...(o.video ? ['--use-file-for-fake-video-capture=' + o.video] : []),
			...(o.secure ? ['--unsafely-treat-insecure-origin-as-secure=' + o.secure] : []),
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
	const want = /** @type {Record<string, {width: number, height: number}>} */ (sizes)[size];
	const was = page.viewportSize();
	const resize = want && was && (want.width !== was.width || want.height !== was.height);
	if (resize) {
		await page.setViewportSize(want);
		await settle(page);
	}
	await page.screenshot({ path: path.join(screenshotDir, `${name}-${size}.png`), fullPage: false });
	if (resize && was) await page.setViewportSize(was);
}

/**
 * settle waits for two animation frames: the layout of a new size painted.
 * @param {import('playwright-core').Page} page
 */
function settle(page) {
	return page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(undefined)))));
}
