// axe-core (npm) run inside the page: the source goes in through the
// DevTools protocol (the page's CSP forbids inline scripts and eval, which
// binds the page's own code, not the debugger), then axe.run checks the
// document. Every violation is printed; the caller asserts on the serious
// and critical ones.
import { readFile } from 'node:fs/promises';

const source = await readFile(new URL('../node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');

/**
 * @typedef {object} Violation
 * @property {string} id
 * @property {string|null} impact
 * @property {string} help
 * @property {string[]} targets the first few offending elements
 */

/**
 * axeCheck runs axe-core on page and prints what it found under name.
 * @param {import('playwright-core').Page} page
 * @param {string} name
 * @returns {Promise<Violation[]>} serious and critical violations
 */
export async function axeCheck(page, name) {
	const cdp = await page.context().newCDPSession(page);
	try {
		await cdp.send('Runtime.evaluate', { expression: source });
	} finally {
		await cdp.detach();
	}
	/** @type {Violation[]} */
	const found = await page.evaluate(async () => {
		const axe = /** @type {any} */ (globalThis).axe;
		const r = await axe.run(document, { resultTypes: ['violations'] });
		return r.violations.map((/** @type {any} */ v) => ({
			id: v.id, impact: v.impact, help: v.help,
			targets: v.nodes.slice(0, 3).map((/** @type {any} */ n) => n.target.join(' ')),
		}));
	});
	const bad = found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
	console.log(`axe ${name}: ${found.length} violation(s), ${bad.length} serious or critical` +
		found.map((v) => `\n  [${v.impact}] ${v.id}: ${v.help} — ${v.targets.join(', ')}`).join(''));
	return bad;
}
