// The sign-in's idle and absolute timeouts in the browser. The server ends
// a sign-in not refreshed for idle_timeout seconds, and every sign-in at
// session_expires_at (docs/architecture.md "Sign-in lifetime"); this
// module decides what activity is and acts on it:
//   - activity is input in any tab of the app (keys, clicks, touches,
//     wheel, pointer moves), or a live call open in a tab (Api.holdActive:
//     an operator or delegate watching a session for hours is not idle);
//   - while the user is active, the sign-in is refreshed every third of
//     the idle timeout, so the server sees the activity;
//   - once the last activity is idle_timeout old, or session_expires_at
//     has passed, the sign-in ends here at once (the refresh token is
//     revoked) and the app shows only the login card, which brings the
//     user back to the page after signing in again;
//   - warnLead before session_expires_at the user is told when it ends
//     (onLimit 'soon'), with a way to sign in again at once;
//   - a live call is never cut by the maximum age: a hall operator at
//     the end of a long day keeps the picture and sound (the media's room
//     token lives on), is told the sign-in has ended (onLimit 'held') and
//     signs in again in place, or after the call, when the sign-in ends.
// The last activity is shared by the tabs through localStorage, so a tab
// left in the background does not sign out a user who works in another.

/** activityKey in localStorage: the last activity in any tab (ms since the epoch). */
const activityKey = 'cau.activity';

/** tick is how often the timeouts are checked (ms); a tab in the background may be slower. */
const tick = 2000;

/** writeEvery spaces the writes of the activity time while the user moves (ms). */
const writeEvery = 1000;

/** warnLead is how long before the maximum age the user is warned (ms). */
export const warnLead = 10 * 60_000;

/** retryHeld spaces the refreshes tried while a call outlives the sign-in (ms). */
const retryHeld = 15_000;

/**
 * Limit is what the user must be told about the sign-in's maximum age:
 * 'soon' (it ends at `at`), 'held' (it ended at `at`; a live call goes
 * on), or null (nothing).
 * @typedef {{kind: 'soon'|'held', at: Date} | null} Limit
 */

/**
 * watchIdle starts watching activity for api's sign-in and returns a stop function.
 * @param {import('../api.js').Api} api
 * @param {(l: Limit) => void} [onLimit] told when the maximum age's warning changes
 */
export function watchIdle(api, onLimit = () => {}) {
	/** @type {string} */
	let shown = '';
	/** @param {Limit} l */
	const tell = (l) => {
		const key = l ? l.kind + l.at.getTime() : '';
		if (key !== shown) { shown = key; onLimit(l); }
	};
	let written = 0;
	const now = () => Date.now();
	const last = () => {
		try { return Number(localStorage.getItem(activityKey)) || 0; } catch { return written; }
	};
	/** @param {number} [at] */
	const record = (at = now()) => {
		if (at - written < writeEvery) return;
		written = at;
		try { localStorage.setItem(activityKey, String(at)); } catch { /* storage disabled: this tab only */ }
	};
	let triedAt = 0;
	const idleMs = () => (api.signin?.idle_timeout ?? 0) * 1000;
	// Active: within the idle timeout of the last input, or in a call.
	// (No activity recorded at all, as after an upgrade: not idle.)
	const active = () => {
		const at = Math.max(last(), written);
		return api.holds > 0 || idleMs() === 0 || at === 0 || now() - at < idleMs();
	};
	api.mayRefresh = active;

	/** check ends an idle or too old sign-in, and keeps an active one alive. */
	function check() {
		const s = api.signin;
		if (!s) { tell(null); return; }
		if (api.holds > 0) record();
		const ends = s.session_expires_at ? Date.parse(s.session_expires_at) : 0;
		if (ends && now() >= ends) {
			// In a call: the call goes on, told; the sign-in ends with it.
			if (api.holds > 0) {
				tell({ kind: 'held', at: new Date(ends) });
				// Signed in again in another tab (the province account's page
				// opens in one): the shared cookie gives this tab the new sign-in.
				if (!api.refreshing && now() - triedAt > retryHeld) { triedAt = now(); void api.refresh(); }
				return;
			}
			tell(null);
			void api.expire('session_expired');
			return;
		}
		tell(ends && now() >= ends - warnLead ? { kind: 'soon', at: new Date(ends) } : null);
		if (!active()) { void api.expire('session_idle'); return; }
		const idle = idleMs();
		if (idle && !api.refreshing && now() - api.touchedAt >= idle / 3) void api.refresh();
	}

	// A stored sign-in of a tab reopened after a long pause ends before
	// anything is drawn with it; only then does opening the page count.
	check();
	record();

	const onInput = () => record();
	const events = ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart'];
	for (const e of events) addEventListener(e, onInput, { capture: true, passive: true });
	const timer = setInterval(check, tick);
	const onVisible = () => { if (document.visibilityState === 'visible') check(); };
	document.addEventListener('visibilitychange', onVisible);
	return () => {
		clearInterval(timer);
		for (const e of events) removeEventListener(e, onInput, { capture: true });
		document.removeEventListener('visibilitychange', onVisible);
		api.mayRefresh = () => true;
	};
}
