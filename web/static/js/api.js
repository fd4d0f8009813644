// The HTTP API client: JSON over fetch with the access token, a silent
// single-flight refresh when the server answers 401 invalid_token, and
// ApiError carrying the server's error.code. No DOM here.

import { t, has } from './i18n.js';

/**
 * @typedef {object} User
 * @property {number} id
 * @property {string} username
 * @property {string} full_name
 * @property {string[]} roles
 * @property {number} unit_id
 * @property {boolean} [must_change_password] a temporary password: only the change-password screen until changed
 */

/**
 * @typedef {object} SignIn what a login or a refresh answers (auth.SignIn)
 * @property {string} access_token
 * @property {string} [refresh_token] absent for the web client: it lives in an HttpOnly cookie
 * @property {number} expires_in seconds the access token lives
 * @property {number} [idle_timeout] seconds the sign-in survives without a refresh (0: no limit)
 * @property {string} [session_expires_at] when the sign-in ends however active (absent: never)
 * @property {User} user
 */

/** ApiError is a refused or failed request; code is the API's error.code ("network" when no answer came). */
export class ApiError extends Error {
	/**
	 * @param {number} status HTTP status, 0 without an answer
	 * @param {string} code
	 * @param {string} message the server's message (English, for logs)
	 * @param {Record<string, string>} [fields] per-field validation problems (codes: field.<code> in i18n)
	 * @param {number} [retryAfter] seconds the server asked us to wait (Retry-After), 0 if none
	 */
	constructor(status, code, message, fields, retryAfter = 0) {
		super(message || code);
		this.name = 'ApiError';
		this.status = status;
		this.code = code;
		this.fields = fields || {};
		this.retryAfter = retryAfter;
	}
}

/**
 * errorMessage is what the user reads for err: the translation of its code,
 * or a generic line that still names the code.
 * @param {unknown} err
 */
export function errorMessage(err) {
	if (err instanceof ApiError) {
		const key = 'err.' + err.code;
		const msg = has(key) ? t(key) : t('err.unknown', { code: err.code });
		// Validation answers name the fields and, as a code, what is wrong with each.
		const fields = Object.entries(err.fields).map(([f, why]) => `${f}: ${has('field.' + why) ? t('field.' + why) : why}`);
		return fields.length ? `${msg} (${fields.join('; ')})` : msg;
	}
	return t('err.unknown', { code: err instanceof Error ? err.message : String(err) });
}

const storageKey = 'cau.signin';

/** endedKey in sessionStorage: why and where a sign-in ended before the provider's logout page. */
const endedKey = 'cau.ended';

/** loginPatience is how long login keeps retrying a busy server, ms. */
const loginPatience = 120_000;

/** refreshMarker in localStorage says a refresh cookie was set (the cookie itself is HttpOnly). */
const refreshMarker = 'cau.refresh';

/** touchedKey in localStorage is when any tab last refreshed or signed in (ms): the server's last activity. */
const touchedKey = 'cau.touched';

/**
 * Api talks to /api/v1. The access token and the user live in sessionStorage
 * (a reload keeps them); the refresh token lives in an HttpOnly cookie that
 * no script reads, shared by every tab, so a new tab or a link from an
 * e-mail starts by refreshing and stays signed in.
 */
export class Api {
	/** @param {string} [base] */
	constructor(base = '/api/v1') {
		this.base = base;
		/** @type {SignIn|null} */
		this.signin = load();
		/** @type {Promise<boolean>|null} the refresh in flight, shared by every caller */
		this.refreshing = null;
		/** @type {Set<(s: SignIn|null) => void>} */
		this.listeners = new Set();
		/** why the last sign-in ended by itself: 'session_idle', 'session_expired', or '' */
		this.ended = '';
		/** how many live calls in this tab count as activity (holdActive) */
		this.holds = 0;
		/**
		 * mayRefresh says whether the user was active within the idle timeout
		 * (ui/idle.js sets it): an idle tab must not keep the sign-in alive,
		 * so it ends the sign-in instead of refreshing.
		 * @type {() => boolean}
		 */
		this.mayRefresh = () => true;
		/** @type {Promise<{password: boolean, oidc: boolean}>|undefined} the server's answer to methods() */
		this.methodsAnswer = undefined;
	}

	/**
	 * holdActive counts a live call as activity until the returned release is
	 * called: an operator or delegate watching a session for hours is not idle.
	 * @returns {() => void}
	 */
	holdActive() {
		this.holds++;
		let held = true;
		return () => { if (held) { held = false; this.holds--; } };
	}

	/** @returns {number} when any tab last refreshed or signed in (ms since the epoch), 0 if unknown */
	get touchedAt() {
		try { return Number(localStorage.getItem(touchedKey)) || 0; } catch { return 0; }
	}

	/**
	 * expire ends the sign-in by itself (idle, or past its maximum age):
	 * the refresh token is revoked and the login card will say why.
	 * @param {'session_idle'|'session_expired'} why
	 */
	async expire(why) {
		this.ended = why;
		const next = location.pathname + location.search;
		const end = await this.logout();
		if (!end) return;
		// Signed in through the province account: its session ends too, or
		// the next person at a shared computer would walk straight back in
		// with one click. The provider sends the browser back to /login,
		// whose card then says why and returns to the page (takeEnded).
		try { sessionStorage.setItem(endedKey, JSON.stringify({ why, next })); } catch { /* the card just won't say why */ }
		location.assign(end);
	}

	/**
	 * takeEnded returns, once, the page a sign-in ended by itself on before
	 * the browser went to the provider's end-session page, and sets ended.
	 * @returns {string} the page to return to, or ''
	 */
	takeEnded() {
		try {
			const v = JSON.parse(sessionStorage.getItem(endedKey) ?? 'null');
			sessionStorage.removeItem(endedKey);
			if (v && (v.why === 'session_idle' || v.why === 'session_expired')) {
				this.ended = v.why;
				return typeof v.next === 'string' ? v.next : '';
			}
		} catch { /* nothing stored */ }
		return '';
	}

	/** @returns {boolean} whether the sign-in's maximum age (session_expires_at) has passed */
	pastMaxAge() {
		const end = this.signin?.session_expires_at;
		return !!end && Date.now() >= Date.parse(end);
	}

	/** @returns {User|null} */
	get user() { return this.signin?.user ?? null; }

	/** @param {(s: SignIn|null) => void} f */
	onSignIn(f) { this.listeners.add(f); return () => this.listeners.delete(f); }

	/** @param {SignIn|null} s */
	setSignIn(s) {
		this.signin = s;
		try {
			if (s) sessionStorage.setItem(storageKey, JSON.stringify(s));
			else sessionStorage.removeItem(storageKey);
		} catch { /* storage disabled: memory only */ }
		for (const f of this.listeners) f(s);
	}

	/**
	 * login signs in; errors are ApiError (invalid_credentials, account_locked, rate_limited…).
	 * When the server is busy hashing others' passwords (503 busy, at the
	 * start of a province-wide session) it waits the Retry-After it was told
	 * and tries again, for up to loginPatience ms, telling onWait each time
	 * so the screen can say so: the user is never left without an answer.
	 * @param {string} username
	 * @param {string} password
	 * @param {(seconds: number) => void} [onWait]
	 */
	async login(username, password, onWait) {
		const giveUp = Date.now() + loginPatience;
		for (;;) {
			try {
				/** @type {SignIn} */
				const s = await this.send('POST', '/auth/login', { username, password, cookie: true }, false);
				mark(true);
				touched();
				this.ended = '';
				this.setSignIn(s);
				return s.user;
			} catch (err) {
				if (!(err instanceof ApiError) || err.code !== 'busy') throw err;
				// A little jitter, so a room of browsers told the same second
				// does not come back at the same instant.
				const wait = Math.max(1, err.retryAfter) * 1000 * (1 + Math.random() / 4);
				if (Date.now() + wait > giveUp) throw err;
				onWait?.(Math.ceil(wait / 1000));
				await new Promise((r) => setTimeout(r, wait));
			}
		}
	}

	/**
	 * logout revokes the refresh token (best effort) and forgets the sign-in.
	 * After a single sign-on it resolves to the provider's end-session
	 * address, where the caller sends the browser to sign out there too.
	 * @returns {Promise<string>} the provider's end-session URL, or ''
	 */
	async logout() {
		const had = marked();
		mark(false);
		this.setSignIn(null);
		if (!had) return '';
		try {
			const out = await this.send('POST', '/auth/logout', undefined, false);
			return typeof out?.end_session_url === 'string' ? out.end_session_url : '';
		} catch { return ''; /* already gone */ }
	}

	/**
	 * methods asks which ways in the server offers.
	 * @returns {Promise<{password: boolean, oidc: boolean}>}
	 */
	methods() {
		// Asked once per page: the header and the password screen both need it.
		this.methodsAnswer ??= this.send('GET', '/auth/methods', undefined, false);
		return this.methodsAnswer;
	}

	/**
	 * finishSignOn takes over the sign-in that the server's single sign-on
	 * callback put in the refresh cookie.
	 * @returns {Promise<boolean>} whether a sign-in was obtained
	 */
	finishSignOn() {
		mark(true);
		return this.refresh();
	}

	/**
	 * refresh trades the refresh cookie for a new access token (and cookie).
	 * Concurrent callers share one request, and tabs take turns (a Web Lock):
	 * the server rotates refresh tokens and treats a second use of the old
	 * one as theft, so two parallel refreshes would end the sign-in.
	 * @returns {Promise<boolean>} whether a new sign-in was obtained
	 */
	refresh() {
		if (this.refreshing) return this.refreshing;
		if (!marked()) return Promise.resolve(false);
		// A signed-in tab whose user went idle ends the sign-in rather than
		// extend it (a new tab has no sign-in yet: opening it is activity).
		if (this.signin && !this.mayRefresh()) {
			void this.expire('session_idle');
			return Promise.resolve(false);
		}
		this.refreshing = (async () => {
			try {
				const run = () => this.send('POST', '/auth/refresh', undefined, false);
				/** @type {SignIn} */
				const s = navigator.locks ? await navigator.locks.request('cau-refresh', run) : await run();
				touched();
				this.setSignIn(s);
				return true;
			} catch (err) {
				// Only a refused token ends the sign-in; a network failure keeps it
				// so the next call can try again once the link is back.
				if (err instanceof ApiError && err.status >= 400 && err.status < 500) {
					// A live call outlives the sign-in's maximum age (ui/idle.js):
					// the sign-in stays until the call ends or the user signs in
					// again (the browser has dropped the cookie by then: 422).
					if (this.holds > 0 && this.pastMaxAge()) return false;
					if (err.code === 'session_idle' || err.code === 'session_expired') this.ended = err.code;
					mark(false);
					this.setSignIn(null);
				}
				return false;
			} finally {
				this.refreshing = null;
			}
		})();
		return this.refreshing;
	}

	/**
	 * ensureFresh refreshes the access token when it expires within margin
	 * seconds. WebSockets carry the token in the URL and cannot answer 401
	 * invalid_token, so a reconnecting socket calls this first.
	 * @param {number} [margin]
	 */
	async ensureFresh(margin = 30) {
		const exp = tokenExpiry(this.signin?.access_token ?? '');
		if (this.signin && exp && exp - Date.now() / 1000 < margin) await this.refresh();
		return this.signin?.access_token ?? '';
	}

	/**
	 * get, post, patch, put, del: JSON calls with the access token.
	 * @param {string} path
	 */
	get(path) { return this.send('GET', path); }
	/** @param {string} path @param {unknown} [body] */
	post(path, body) { return this.send('POST', path, body); }
	/** @param {string} path @param {unknown} [body] */
	patch(path, body) { return this.send('PATCH', path, body); }
	/** @param {string} path @param {unknown} [body] */
	put(path, body) { return this.send('PUT', path, body); }
	/** @param {string} path */
	del(path) { return this.send('DELETE', path); }

	/**
	 * send performs one call; with auth it retries once after a silent refresh
	 * when the access token has expired.
	 * @param {string} method
	 * @param {string} path
	 * @param {unknown} [body]
	 * @param {boolean} [auth]
	 * @returns {Promise<any>}
	 */
	async send(method, path, body, auth = true) {
		for (let attempt = 0; ; attempt++) {
			/** @type {Record<string, string>} */
			const headers = { Accept: 'application/json' };
			if (body !== undefined) headers['Content-Type'] = 'application/json';
			const used = this.signin?.access_token;
			if (auth && used) headers.Authorization = 'Bearer ' + used;
			let res;
			try {
				res = await fetch(this.base + path, {
					method, headers, body: body === undefined ? undefined : JSON.stringify(body),
				});
			} catch (err) {
				throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
			}
			if (res.ok) {
				if (res.status === 204) return null;
				const type = res.headers.get('Content-Type') || '';
				return type.includes('json') ? res.json() : res;
			}
			const e = await toError(res);
			if (auth && attempt === 0 && res.status === 401 && (e.code === 'invalid_token' || e.code === 'unauthenticated') && this.signin) {
				// A parallel call may have refreshed while this one was in flight:
				// retry with the new token rather than refresh a second time.
				if (this.signin.access_token !== used || this.refreshing) {
					await this.refreshing;
					continue;
				}
				if (await this.refresh()) continue;
			}
			throw e;
		}
	}

	/**
	 * fetchBlob downloads a binary answer (a PDF) with the token and refresh.
	 * @param {string} path
	 */
	async fetchBlob(path) {
		const res = await this.send('GET', path);
		if (!(res instanceof Response)) throw new ApiError(0, 'unknown', 'not a file');
		return res.arrayBuffer();
	}

	/**
	 * upload sends multipart form data with progress (fetch has no upload
	 * progress, XMLHttpRequest does).
	 * @param {string} path
	 * @param {FormData} form
	 * @param {(sent: number, total: number) => void} [onProgress]
	 * @returns {Promise<any>}
	 */
	async upload(path, form, onProgress) {
		for (let attempt = 0; ; attempt++) {
			/** @type {string|undefined} */
			let used;
			const r = await new Promise((resolve) => {
				const x = new XMLHttpRequest();
				x.open('POST', this.base + path);
				x.setRequestHeader('Accept', 'application/json');
				used = this.signin?.access_token;
				if (used) x.setRequestHeader('Authorization', 'Bearer ' + used);
				x.upload.onprogress = (ev) => onProgress?.(ev.loaded, ev.total);
				x.onload = () => resolve({ status: x.status, text: x.responseText });
				x.onerror = () => resolve({ status: 0, text: '' });
				x.send(form);
			});
			if (r.status === 0) throw new ApiError(0, 'network', 'upload failed');
			/** @type {any} */
			let data = null;
			try { data = r.text ? JSON.parse(r.text) : null; } catch { /* not JSON */ }
			if (r.status >= 200 && r.status < 300) return data;
			const e = fromBody(r.status, data);
			if (attempt === 0 && r.status === 401 && e.code === 'invalid_token') {
				if (this.signin && (this.signin.access_token !== used || this.refreshing)) { await this.refreshing; continue; }
				if (await this.refresh()) continue;
			}
			throw e;
		}
	}
}

/** @param {Response} res */
async function toError(res) {
	let data = null;
	try { data = await res.json(); } catch { /* not JSON */ }
	return fromBody(res.status, data, Number(res.headers.get('Retry-After')) || 0);
}

/**
 * @param {number} status
 * @param {any} data
 * @param {number} [retryAfter]
 */
function fromBody(status, data, retryAfter = 0) {
	const e = data?.error;
	if (e && typeof e.code === 'string') return new ApiError(status, e.code, e.message || '', e.fields, retryAfter);
	const code = status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : status === 404 ? 'not_found'
		: status === 429 ? 'rate_limited' : status >= 500 ? 'internal' : 'unknown';
	return new ApiError(status, code, 'HTTP ' + status);
}

/**
 * tokenExpiry reads the exp claim (Unix seconds) of a JWT without checking
 * it (the server checks); 0 when unreadable.
 * @param {string} jwt
 */
export function tokenExpiry(jwt) {
	try {
		const part = jwt.split('.')[1] ?? '';
		const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
		const exp = JSON.parse(json).exp;
		return typeof exp === 'number' ? exp : 0;
	} catch {
		return 0;
	}
}

/** @returns {SignIn|null} */
function load() {
	try {
		const raw = sessionStorage.getItem(storageKey);
		const s = raw ? JSON.parse(raw) : null;
		return s && typeof s.access_token === 'string' && s.user ? s : null;
	} catch {
		return null;
	}
}

/** @param {boolean} on whether a refresh cookie is set */
function mark(on) {
	try {
		if (on) localStorage.setItem(refreshMarker, '1');
		else localStorage.removeItem(refreshMarker);
	} catch { /* storage disabled */ }
}

/** touched records that the server saw activity now (a login or a refresh). */
function touched() {
	try { localStorage.setItem(touchedKey, String(Date.now())); } catch { /* storage disabled */ }
}

function marked() {
	try { return localStorage.getItem(refreshMarker) === '1'; } catch { return false; }
}
