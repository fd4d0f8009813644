// Small DOM helpers: the only place elements are built.

/**
 * @typedef {string|number|Node|null|undefined|false} Child
 */

/**
 * h builds an element: h('button', {class: 'primary', onclick: f}, 'Text').
 * Attributes starting with "on" become listeners; true/false toggle boolean
 * attributes; text children are text nodes (never HTML).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Child|Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs)) {
		if (v === undefined || v === null || v === false) continue;
		if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
		else if (v === true) el.setAttribute(k, '');
		else el.setAttribute(k, String(v));
	}
	append(el, children);
	return el;
}

/**
 * @param {Node} el
 * @param {(Child|Child[])[]} children
 */
function append(el, children) {
	for (const c of children.flat()) {
		if (c === null || c === undefined || c === false) continue;
		el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
	}
}

/**
 * replace empties el and puts children in.
 * @param {Element} el
 * @param {...(Child|Child[])} children
 */
export function replace(el, ...children) {
	el.replaceChildren();
	append(el, children);
}

/**
 * saveFile hands bytes to the browser as a download named name.
 * @param {ArrayBuffer} bytes
 * @param {string} name
 * @param {string} type MIME type
 */
export function saveFile(bytes, name, type) {
	const url = URL.createObjectURL(new Blob([bytes], { type }));
	const a = h('a', { href: url, download: name, hidden: true });
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** assets is the hashed prefix of this build's files ("/assets/<hash>/"). */
export function assets() {
	return document.querySelector('meta[name="cau-assets"]')?.getAttribute('content') ?? '/';
}
