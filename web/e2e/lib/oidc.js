// Runs the test OpenID Connect provider (internal/sso/ssotest/cmd/testop:
// zitadel's OP with an in-memory storage and its username/password page)
// on a free loopback port for the single sign-on tests. It is built from
// the repository (or taken from CAU_E2E_TESTOP_BIN) and never part of cau.

import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './server.js';

const run = promisify(execFile);

/**
 * @typedef {object} TestOP
 * @property {string} issuer
 * @property {string} clientID
 * @property {string} clientSecret
 * @property {() => string} logs
 * @property {() => Promise<void>} stop
 */

/**
 * @param {{redirect: string, postLogout?: string, users: {id: string, username: string, password: string, given: string, family: string}[]}} o
 * @returns {Promise<TestOP>}
 */
export async function startOP(o) {
	const dir = await mkdtemp(path.join(tmpdir(), 'cau-testop-'));
	let bin = process.env.CAU_E2E_TESTOP_BIN;
	if (!bin) {
		bin = path.join(dir, 'testop');
		await run('go', ['build', '-o', bin, './internal/sso/ssotest/cmd/testop'], { cwd: repoRoot, maxBuffer: 1 << 24 });
	}
	const clientID = 'cau-e2e', clientSecret = 'e2e-bí-mật';
	const args = ['-client', `${clientID}:${clientSecret}`, '-redirect', o.redirect];
	if (o.postLogout) args.push('-post-logout', o.postLogout);
	for (const u of o.users) args.push('-user', [u.id, u.username, u.password, u.given, u.family].join(':'));
	const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	proc.stderr.on('data', (b) => { out += b; });
	const exited = new Promise((resolve) => proc.once('exit', resolve));
	const issuer = await new Promise((resolve, reject) => {
		let buf = '';
		const timer = setTimeout(() => reject(new Error('testop did not start in 30 s:\n' + out)), 30_000);
		proc.stdout.on('data', (b) => {
			buf += b;
			const m = buf.match(/^issuer=(\S+)$/m);
			if (m) { clearTimeout(timer); resolve(m[1]); }
		});
		proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`testop exited ${code}:\n${out}`)); });
	});
	return {
		issuer, clientID, clientSecret,
		logs: () => out,
		async stop() {
			proc.kill('SIGTERM');
			const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
			await exited;
			clearTimeout(timer);
			await rm(dir, { recursive: true, force: true });
		},
	};
}
