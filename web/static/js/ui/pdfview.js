// renderPDF draws a PDF's pages as canvases with pdf.js (vendored, loaded on
// demand: 1.7 MB the other screens never need).

import { t } from '../i18n.js';
import { assets, h } from './dom.js';

/**
 * renderPDF replaces the children of pages with one canvas per page, as
 * wide as the container (at most 1100 px).
 * @param {HTMLElement} pages
 * @param {ArrayBuffer} bytes
 */
export async function renderPDF(pages, bytes) {
	// The URL is a variable so tsc does not type-check the minified library.
	const url = assets() + 'vendor/pdfjs/pdf.min.mjs';
	/** @type {any} */
	const pdfjs = await import(url);
	pdfjs.GlobalWorkerOptions.workerSrc = assets() + 'vendor/pdfjs/pdf.worker.min.mjs';
	const pdf = await pdfjs.getDocument({ data: new Uint8Array(bytes), isEvalSupported: false }).promise;
	pages.replaceChildren();
	for (let n = 1; n <= pdf.numPages; n++) {
		const page = await pdf.getPage(n);
		const width = Math.min((pages.clientWidth || 932) - 32, 1100);
		const base = page.getViewport({ scale: 1 });
		const scale = width / base.width;
		const vp = page.getViewport({ scale: scale * devicePixelRatio });
		const canvas = h('canvas', { class: 'pdf-page', 'data-page': String(n), role: 'img', 'aria-label': t('viewer.page', { n, of: pdf.numPages }) });
		canvas.width = vp.width;
		canvas.height = vp.height;
		canvas.style.width = `${width}px`;
		pages.append(canvas);
		await page.render({ canvas, canvasContext: canvas.getContext('2d'), viewport: vp }).promise;
	}
}
