// A hall whose browser may use nothing but a TURN relay (?ice=relay: the
// client's iceTransportPolicy 'relay') gets the other hall's picture
// through a real coturn on loopback, with the credentials of its own join
// answer (TURN REST: expiry:identity and an HMAC, never the secret); coturn
// refuses the same kind of credential once expired (issue 15).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { startCoturn, restCredential } from '../lib/coturn.js';
import { openBrowser, shoot } from '../lib/browser.js';
import { signIn } from '../lib/api.js';
import { liveMeeting, password, recent } from '../lib/room.js';

const secret = 'bí-mật-chung-của-coturn-e2e';
/** @type {import('../lib/server.js').CauServer} */
let server;
/** @type {import('../lib/coturn.js').Coturn} */
let turn;

before(async () => {
	turn = await startCoturn(secret);
	server = await startServer({ CAU_TURN_SECRET: secret, CAU_ICE_SERVERS: turn.url, CAU_TURN_CREDENTIAL_TTL: '1h' });
});
after(async () => { await server?.stop(); await turn?.stop(); });

/**
 * enter signs a hall operator in and opens the room at path.
 * @param {import('playwright-core').Page} page
 * @param {string} user
 * @param {string} path
 */
async function enter(page, user, path) {
	await page.goto(`${server.url}/login?next=${encodeURIComponent(path)}`);
	await page.fill('#username', user);
	await page.fill('#password', password);
	await page.click('form.login button[type=submit]');
	await page.waitForSelector('#session-status', { timeout: 20_000 });
}

/**
 * gather creates a relay-only peer connection with one TURN server and
 * reports the candidates and candidate errors of its gathering.
 * @param {import('playwright-core').Page} page
 * @param {{urls: string, username: string, credential: string}} server
 */
function gather(page, server) {
	return page.evaluate(async (ice) => {
		const pc = new RTCPeerConnection({ iceServers: [ice], iceTransportPolicy: 'relay' });
		/** @type {string[]} */ const types = [];
		/** @type {number[]} */ const errors = [];
		pc.onicecandidate = (ev) => { if (ev.candidate?.type) types.push(ev.candidate.type); };
		pc.onicecandidateerror = (ev) => { errors.push(/** @type {RTCPeerConnectionIceErrorEvent} */ (ev).errorCode); };
		const done = new Promise((resolve) => { pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') resolve(undefined); }; });
		pc.createDataChannel('probe');
		await pc.setLocalDescription(await pc.createOffer());
		await Promise.race([done, new Promise((r) => setTimeout(r, 15_000))]);
		pc.close();
		return { types, errors };
	}, server);
}

test('a relay-only hall gets picture through coturn with its join credentials; expired ones are refused', async () => {
	const meeting = await liveMeeting(server.url, { people: [], halls: 2, title: 'Hội nghị trực tuyến qua TURN' });
	const chair = await signIn(server.url, 'chutri', password);
	await chair.call('POST', `/meetings/${meeting.id}/session/open`);
	const a = await openBrowser();
	const b = await openBrowser();
	try {
		await enter(a.page, meeting.halls[0].operator, `/meetings/${meeting.id}`);
		await enter(b.page, meeting.halls[1].operator, `/meetings/${meeting.id}?ice=relay`);

		// B's picture plays and keeps decoding…
		await b.page.waitForFunction(() => [...document.querySelectorAll('#main-video, #strip video')]
			.some((v) => v instanceof HTMLVideoElement && v.videoWidth > 0), null, { timeout: 30_000 })
			.catch(async (err) => { await shoot(b.page, 'failure-turn', 'any'); throw new Error(b.problems.join('\n') + '\n' + await recent(b.page) + '\n' + turn.logs().slice(-2000), { cause: err }); });
		const frames = () => b.page.evaluate(async () => (await /** @type {any} */ (globalThis).cauCall.downStats.sample()).framesDecoded);
		const f1 = await frames();
		await b.page.waitForFunction(async (f) => (await /** @type {any} */ (globalThis).cauCall.downStats.sample()).framesDecoded > f + 10, f1, { timeout: 15_000 })
			.catch(async (err) => { throw new Error(`frames ${f1} → ${await frames()}\n` + await recent(b.page) + '\n' + turn.logs().slice(-3000), { cause: err }); });

		// …over a relay: every candidate B offered is coturn's, and the pair
		// in use on its receiving connection has B's end at the relay.
		const path = await b.page.evaluate(async () => {
			const call = /** @type {any} */ (globalThis).cauCall;
			const stats = await call.down.getStats();
			/** @type {Map<string, any>} */ const byId = new Map();
			stats.forEach((/** @type {any} */ s) => byId.set(s.id, s));
			const transport = [...byId.values()].find((s) => s.type === 'transport');
			const pair = byId.get(transport?.selectedCandidatePairId);
			const local = byId.get(pair?.localCandidateId);
			const locals = [...byId.values()].filter((s) => s.type === 'local-candidate').map((s) => s.candidateType);
			return { policy: call.down.getConfiguration().iceTransportPolicy, selected: local?.candidateType, locals, ice: call.ice };
		});
		assert.equal(path.policy, 'relay');
		assert.equal(path.selected, 'relay', 'the media path of the relay-only hall');
		assert.ok(path.locals.length > 0 && path.locals.every((/** @type {string} */ t) => t === 'relay'), `local candidates ${path.locals}`);
		// The join answer's credentials: TURN REST, expiring within the TTL, not the secret.
		const cred = path.ice.find((/** @type {any} */ s) => String(s.urls).startsWith('turn:'));
		assert.ok(cred, 'a TURN server in the join answer');
		const [expiry, identity] = String(cred.username).split(':');
		const left = Number(expiry) - Date.now() / 1000;
		assert.ok(left > 0 && left <= 3600 + 5, `credential expires in ${left} s`);
		assert.equal(identity, meeting.halls[1].identity);
		assert.notEqual(cred.credential, secret);
		await shoot(b.page, 'turn-relay', 'desktop');

		// coturn itself: the same kind of credential an hour old is refused
		// (401), a fresh one minted the same way gathers a relay candidate.
		const now = Math.floor(Date.now() / 1000);
		const expired = await gather(b.page, { urls: turn.url, ...restCredential(secret, now - 3600, identity) });
		assert.deepEqual(expired.types, [], 'no relay with an expired credential');
		assert.ok(expired.errors.includes(401), `candidate errors ${expired.errors}`);
		const fresh = await gather(b.page, { urls: turn.url, ...restCredential(secret, now + 600, identity) });
		assert.ok(fresh.types.includes('relay'), `fresh credential: ${JSON.stringify(fresh)}`);
	} finally {
		await a.close();
		await b.close();
	}
});
