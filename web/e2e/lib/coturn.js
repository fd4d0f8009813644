// Runs coturn's turnserver on loopback for the relay tests, as
// internal/app/turn_test.go does: the TURN REST shared secret, UDP only,
// relaying between loopback addresses, on a free port with a small relay
// range next to it (deploy/local/coturn.sh installs coturn).

import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** @returns {Promise<number>} a UDP port free at the time of asking */
function freeUDPPort() {
	return new Promise((resolve, reject) => {
		const s = createSocket('udp4');
		s.once('error', reject);
		s.bind(0, '127.0.0.1', () => {
			const port = s.address().port;
			s.close(() => resolve(port));
		});
	});
}

/**
 * @typedef {object} Coturn
 * @property {string} url turn:127.0.0.1:port?transport=udp
 * @property {() => string} logs
 * @property {() => Promise<void>} stop
 */

/**
 * @param {string} secret coturn's static-auth-secret
 * @returns {Promise<Coturn>}
 */
export async function startCoturn(secret) {
	const dir = await mkdtemp(path.join(tmpdir(), 'cau-coturn-'));
	const port = await freeUDPPort();
	// Relay ports away from the kernel's ephemeral range (as the Go test).
	const relayLo = 20000 + (port % 2000) * 10;
	const proc = spawn('turnserver', ['-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1',
		`--listening-port=${port}`, `--min-port=${relayLo}`, `--max-port=${relayLo + 9}`,
		'--use-auth-secret', `--static-auth-secret=${secret}`, '--realm=cau.test', '--allow-loopback-peers',
		'--no-cli', '--no-tls', '--no-dtls', '--no-tcp', '--no-tcp-relay', '--fingerprint',
		`--db=${path.join(dir, 'turndb')}`, `--pidfile=${path.join(dir, 'turn.pid')}`, '--log-file=stdout', '--simple-log'],
	{ stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	const exited = new Promise((resolve) => proc.once('exit', resolve));
	await new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error('turnserver did not start in 10 s:\n' + out)), 10_000);
		const onData = (/** @type {Buffer} */ b) => {
			out += b;
			if (out.includes('Total General servers')) { clearTimeout(timer); resolve(undefined); }
		};
		proc.stdout.on('data', onData);
		proc.stderr.on('data', onData);
		proc.once('error', (err) => { clearTimeout(timer); reject(err); });
		proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`turnserver exited ${code}:\n${out}`)); });
	});
	return {
		url: `turn:127.0.0.1:${port}?transport=udp`,
		logs: () => out,
		async stop() {
			proc.kill('SIGTERM');
			const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
			await exited;
			clearTimeout(timer);
			await rm(dir, { recursive: true, force: true });
		},
	};
}

/**
 * restCredential is a TURN REST credential (username expiry:identity,
 * password base64 HMAC-SHA1 of it under the secret), as cau mints them.
 * @param {string} secret
 * @param {number} expiry Unix seconds
 * @param {string} identity
 */
export function restCredential(secret, expiry, identity) {
	const username = `${expiry}:${identity}`;
	return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}
