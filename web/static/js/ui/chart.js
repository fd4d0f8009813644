// Small SVG charts drawn by hand (no chart library): horizontal bars, one
// row per unit, each bar a link to the drill-down so it is reachable with
// the keyboard and readable by a screen reader.

const ns = 'http://www.w3.org/2000/svg';

/**
 * @param {string} tag
 * @param {Record<string, string|number>} [attrs]
 * @param {...(Node|string)} children
 */
function s(tag, attrs = {}, ...children) {
	const el = document.createElementNS(ns, tag);
	for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
	for (const c of children) el.append(c);
	return el;
}

/**
 * @typedef {object} Bar
 * @property {string} label
 * @property {number} value
 * @property {string} [href] drill-down
 * @property {string} [tone] "bad", "ok", "warn": the bar's colour class
 */

/**
 * @typedef {object} BarOptions
 * @property {string} title what the chart shows (the SVG's accessible name)
 * @property {number} [max] the scale's end (default: the largest value)
 * @property {(v: number) => string} [format] a value as text
 * @property {(href: string) => void} [onOpen] follows a bar's link in the app
 * @property {number} [width] in SVG units (the SVG scales to its box)
 */

/**
 * barChart draws labelled horizontal bars.
 * @param {Bar[]} bars
 * @param {BarOptions} o
 * @returns {SVGSVGElement}
 */
export function barChart(bars, o) {
	const width = o.width ?? 640;
	const row = 30, gap = 8, labelW = Math.round(width * 0.38), valueW = 64;
	const max = o.max ?? Math.max(1, ...bars.map((b) => b.value));
	const barW = width - labelW - valueW;
	const height = Math.max(1, bars.length) * (row + gap);
	const fmt = o.format ?? String;
	const svg = /** @type {SVGSVGElement} */ (s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': o.title }));
	svg.append(s('title', {}, o.title));
	// Grid lines at quarters of the scale.
	for (let q = 1; q <= 4; q++) {
		const x = labelW + (barW * q) / 4;
		svg.append(s('line', { x1: x, x2: x, y1: 0, y2: height, class: 'grid' }));
	}
	bars.forEach((b, i) => {
		const y = i * (row + gap);
		const w = Math.max(b.value > 0 ? 2 : 0, (barW * Math.min(b.value, max)) / max);
		const label = b.label.length > 34 ? b.label.slice(0, 33) + '…' : b.label;
		const g = s('g', { class: 'bar ' + (b.tone ?? '') },
			s('title', {}, `${b.label}: ${fmt(b.value)}`),
			s('text', { x: labelW - 8, y: y + row / 2, class: 'label', 'text-anchor': 'end', 'dominant-baseline': 'central' }, label),
			s('rect', { x: labelW, y: y + 3, width: barW, height: row - 6, class: 'track', rx: 4 }),
			s('rect', { x: labelW, y: y + 3, width: w, height: row - 6, class: 'fill', rx: 4 }),
			s('text', { x: labelW + barW + 8, y: y + row / 2, class: 'value', 'dominant-baseline': 'central' }, fmt(b.value)));
		if (b.href) {
			const a = s('a', { href: b.href, 'aria-label': `${b.label}: ${fmt(b.value)}` }, g);
			a.addEventListener('click', (ev) => {
				const e = /** @type {MouseEvent} */ (ev);
				if (o.onOpen && e.button === 0 && !e.ctrlKey && !e.metaKey && !e.shiftKey && !e.altKey) { e.preventDefault(); o.onOpen(/** @type {string} */ (b.href)); }
			});
			svg.append(a);
		} else {
			svg.append(g);
		}
	});
	return svg;
}
