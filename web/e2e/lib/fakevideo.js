// A small Y4M clip for chromium's fake camera (--use-file-for-fake-video-capture):
// 320×180 at 15 frames a second, a bright bar moving over a gradient, so
// every frame differs. Five browsers encoding the built-in 720p fake camera
// in three simulcast layers each saturate a shared 2-core machine (round
// trips of 500 ms on loopback, the floor paused for lack of bandwidth);
// at this size the same test measures the signaling and forwarding.

import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** @type {Map<string, Promise<string>>} the clips written, by size */
const written = new Map();

/**
 * fakeVideo returns the path of the clip, written once per process and
 * size (a camera whose top simulcast layer is 640×360 asks for that).
 * @param {number} [w] width
 * @param {number} [hgt] height
 */
export function fakeVideo(w = 320, hgt = 180) {
	const key = `${w}x${hgt}`;
	if (!written.has(key)) written.set(key, (async () => {
		const n = 30;
		const header = Buffer.from(`YUV4MPEG2 W${w} H${hgt} F15:1 Ip A1:1 C420jpeg\n`, 'latin1');
		const frame = w * hgt * 3 / 2;
		const out = Buffer.alloc(header.length + n * (6 + frame));
		header.copy(out, 0);
		let o = header.length;
		for (let f = 0; f < n; f++) {
			out.write('FRAME\n', o, 'latin1');
			o += 6;
			const bar = Math.floor((f / n) * w);
			for (let y = 0; y < hgt; y++) {
				for (let x = 0; x < w; x++) out[o + y * w + x] = Math.abs(x - bar) < 12 ? 235 : 40 + Math.floor((150 * y) / hgt);
			}
			out.fill(128, o + w * hgt, o + frame); // neutral chroma
			o += frame;
		}
		const file = path.join(tmpdir(), `cau-fake-${process.pid}-${key}.y4m`);
		await writeFile(file, out);
		return file;
	})());
	return /** @type {Promise<string>} */ (written.get(key));
}
