// A weak line for browser tests: `cau linkemu` (internal/linkemu) creates a
// network namespace joined to this one by two TUN devices and shapes what
// passes (rate, drop-tail queue, seeded random loss, delay, each way alike).
// A browser started in the namespace (openBrowser's netns) reaches this side
// at the line's host address, through the line; the server listens there.

import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './server.js';

const run = promisify(execFile);

/**
 * lineUnusable says why no line can be made here ('' when one can): it
 * needs root, TUN devices and the ip command.
 */
export function lineUnusable() {
	if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
	if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun';
	if (!existsSync('/usr/sbin/ip') && !existsSync('/sbin/ip')) return 'no ip command';
	return '';
}

/**
 * @typedef {object} Counters what one direction did
 * @property {number} packets
 * @property {number} bytes
 * @property {number} lost dropped at random
 * @property {number} queue_drop dropped by the full queue
 * @property {number} delivered
 */

/**
 * @typedef {object} Line
 * @property {string} ns the namespace
 * @property {string} host this side's address
 * @property {string} peer the namespace's address
 * @property {() => Promise<{down: Counters, up: Counters}|null>} stop removes the line; what it did
 */

/**
 * startLine starts `cau linkemu` (CAU_E2E_BIN, or a fresh build) with the
 * given shape: rate in bit/s, loss 0–1, delay and queue like Go durations.
 * @param {{rate: number, loss: number, delay: string, queue: string, seed?: number}} shape
 * @returns {Promise<Line>}
 */
export async function startLine(shape) {
	let bin = process.env.CAU_E2E_BIN;
	/** @type {string|null} */
	let built = null;
	if (!bin) {
		built = await mkdtemp(path.join(tmpdir(), 'cau-line-'));
		bin = path.join(built, 'cau');
		await run('go', ['build', '-o', bin, './cmd/cau'], { cwd: repoRoot, maxBuffer: 1 << 24 });
	}
	const ns = `cau-line-${process.pid}-${Date.now() % 1e6}`;
	const proc = spawn(bin, ['linkemu', '--ns', ns, '--rate', String(shape.rate), '--loss', String(shape.loss),
		'--delay', shape.delay, '--queue', shape.queue, '--seed', String(shape.seed ?? 1)], { stdio: ['ignore', 'pipe', 'pipe'] });
	let errors = '';
	proc.stderr.on('data', (b) => { errors += b; });
	const exited = new Promise((resolve) => proc.once('exit', resolve));
	const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
	const first = await Promise.race([lines.next(), exited.then(() => null)]);
	if (!first || first.done) throw new Error(`cau linkemu did not start: ${errors}`);
	const up = JSON.parse(first.value);
	return {
		ns, host: up.host, peer: up.peer,
		async stop() {
			proc.kill('SIGINT');
			const last = await Promise.race([lines.next(), new Promise((r) => setTimeout(() => r(null), 10_000))]);
			await exited;
			// A line killed before its cleanup leaves the namespace behind.
			await run('ip', ['netns', 'del', ns]).catch(() => {});
			if (built) await rm(built, { recursive: true, force: true });
			const v = /** @type {IteratorResult<string>|null} */ (last);
			return v && !v.done ? JSON.parse(v.value) : null;
		},
	};
}
