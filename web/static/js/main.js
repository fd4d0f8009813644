// Entry point: starts the client and, if anything throws before the first
// screen, shows the error instead of a blank page.
import { start } from './ui/app.js';

try {
	start(/** @type {HTMLElement} */ (document.getElementById('app')));
} catch (err) {
	const msg = document.querySelector('.boot-msg');
	if (msg) msg.textContent = 'Không khởi động được ứng dụng / The app failed to start: ' + String(err);
	throw err;
}
