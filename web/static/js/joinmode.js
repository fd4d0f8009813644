// How a person joins a meeting's call from their own browser, chosen on
// the device check or in the room and remembered in this browser:
// camera and microphone, microphone only, listen only, or "I am in the
// hall" (a person seated in a connected hall: watch the floor, no sound
// out and no microphone, so the hall's speakers never echo). No DOM.

/** @typedef {'camera'|'mic'|'listen'|'hall'} JoinMode */

const key = 'cau.joinMode';

/** @type {JoinMode[]} */
export const joinModes = ['camera', 'mic', 'listen', 'hall'];

/** @returns {JoinMode|null} the remembered choice, if any */
export function savedJoinMode() {
	try {
		const v = localStorage.getItem(key);
		return joinModes.includes(/** @type {JoinMode} */ (v)) ? /** @type {JoinMode} */ (v) : null;
	} catch {
		return null; // storage disabled: ask every time
	}
}

/** @param {JoinMode} mode */
export function saveJoinMode(mode) {
	try { localStorage.setItem(key, mode); } catch { /* storage disabled */ }
}

/**
 * publishModeOf is what the call publishes in a join mode.
 * @param {JoinMode} mode
 * @returns {import('./call.js').PublishMode}
 */
export function publishModeOf(mode) {
	return mode === 'camera' ? 'camera' : mode === 'mic' ? 'mic' : 'none';
}
