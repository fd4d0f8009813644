// Starts a real Cầu server for the browser tests: builds ./cmd/cau (or uses
// CAU_E2E_BIN), creates a fresh database on CAU_PG_SERVER_URL, migrates and
// seeds the demo province, takes a free Redis database number with the same
// lease protocol as internal/redistest, and runs `cau serve` on free ports.

import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** @returns {Promise<number>} a TCP port free at the time of asking */
export function freePort() {
	return new Promise((resolve, reject) => {
		const s = createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const a = s.address();
			s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
		});
	});
}

/**
 * @param {string} base postgres URL of the server
 * @param {string} db database name to point at
 */
function dbURL(base, db) {
	const u = new URL(base);
	u.pathname = '/' + db;
	return u.toString();
}

/** @param {string} redisURL */
async function leaseRedisDB(redisURL) {
	const u = new URL(redisURL);
	const args = ['-h', u.hostname || '127.0.0.1', '-p', u.port || '6379'];
	const token = 'e2e-' + process.pid + '-' + Date.now();
	const deadline = Date.now() + 60_000;
	while (Date.now() < deadline) {
		for (let n = 1; n <= 15; n++) {
			const key = `cau:redistest:lease:${n}`;
			const { stdout } = await run('redis-cli', [...args, 'SET', key, token, 'NX', 'EX', '1800']);
			if (stdout.trim() !== 'OK') continue;
			await run('redis-cli', [...args, '-n', String(n), 'FLUSHDB']);
			const url = new URL(redisURL);
			url.pathname = '/' + n;
			return {
				url: url.toString(),
				release: async () => {
					await run('redis-cli', [...args, '-n', String(n), 'FLUSHDB']).catch(() => {});
					const { stdout: v } = await run('redis-cli', [...args, 'GET', key]).catch(() => ({ stdout: '' }));
					if (v.trim() === token) await run('redis-cli', [...args, 'DEL', key]).catch(() => {});
				},
			};
		}
		await new Promise((r) => setTimeout(r, 500));
	}
	throw new Error('e2e: no free Redis database number in 60 s');
}

/**
 * @typedef {object} CauServer
 * @property {string} url e.g. http://127.0.0.1:41234
 * @property {string} dbURL
 * @property {() => string} logs what the server printed so far
 * @property {() => Promise<void>} stop
 */

/**
 * @param {Record<string, string>} [extraEnv] more configuration (a short CAU_IDLE_TIMEOUT…)
 * @param {{port?: number, host?: string}} [opts] a port chosen beforehand (a provider registers the
 *   callback first); the address to serve HTTP on and be reached at (default 127.0.0.1: a browser
 *   behind a test line reaches the line's host side)
 * @returns {Promise<CauServer>}
 */
export async function startServer(extraEnv = {}, opts = {}) {
	const pgServer = process.env.CAU_PG_SERVER_URL || 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable';
	const dir = await mkdtemp(path.join(tmpdir(), 'cau-e2e-'));
	let bin = process.env.CAU_E2E_BIN;
	if (!bin) {
		bin = path.join(dir, 'cau');
		await run('go', ['build', '-o', bin, './cmd/cau'], { cwd: repoRoot, maxBuffer: 1 << 24 });
	}
	const db = `cau_e2e_${process.pid}_${Date.now()}`;
	await run('psql', [pgServer, '-qc', `CREATE DATABASE "${db}"`]);
	const redis = await leaseRedisDB(process.env.REDIS_URL || 'redis://127.0.0.1:6379/0');
	const port = opts.port ?? await freePort();
	const host = opts.host ?? '127.0.0.1';
	const env = {
		...process.env,
		CAU_ENV: 'test',
		DATABASE_URL: dbURL(pgServer, db),
		REDIS_URL: redis.url,
		CAU_DATA_DIR: dir,
		CAU_HTTP_ADDR: host + ':' + port,
		CAU_PUBLIC_URL: 'http://' + host + ':' + port,
		CAU_RTC_IPS: '127.0.0.1',
		CAU_RTC_UDP_PORT: String(await freePort()),
		CAU_RTC_TCP_PORT: String(await freePort()),
		CAU_LOG_LEVEL: process.env.CAU_E2E_LOG_LEVEL || 'warn',
		// Many logins from one address in a few seconds are the tests, not an attack.
		CAU_LOGIN_PER_IP_PER_MINUTE: '1000',
		...extraEnv,
	};
	await run(bin, ['migrate', 'up'], { env, cwd: dir });
	await run(bin, ['seed', '--demo'], { env, cwd: dir, maxBuffer: 1 << 24 });

	const proc = spawn(bin, ['serve'], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	proc.stdout.on('data', (b) => { out += b; });
	proc.stderr.on('data', (b) => { out += b; });
	const exited = new Promise((resolve) => proc.once('exit', resolve));
	const url = 'http://' + host + ':' + port;
	const deadline = Date.now() + 30_000;
	for (;;) {
		if (proc.exitCode !== null) throw new Error('cau serve exited early:\n' + out);
		try {
			const r = await fetch(url + '/readyz');
			if (r.ok) break;
		} catch { /* not listening yet */ }
		if (Date.now() > deadline) throw new Error('cau serve not ready in 30 s:\n' + out);
		await new Promise((r) => setTimeout(r, 100));
	}
	return {
		url,
		dbURL: env.DATABASE_URL,
		logs: () => out,
		async stop() {
			proc.kill('SIGTERM');
			const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
			await exited;
			clearTimeout(timer);
			await redis.release();
			await run('psql', [pgServer, '-qc', `DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`]).catch(() => {});
			await rm(dir, { recursive: true, force: true });
		},
	};
}
