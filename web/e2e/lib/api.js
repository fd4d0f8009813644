// A small API client for test setup (the browser is what is under test; the
// setup it needs goes straight to the REST API).

/**
 * @param {string} base server URL
 * @param {string} username
 * @param {string} password
 */
export async function signIn(base, username, password) {
	const r = await fetch(base + '/api/v1/auth/login', {
		method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }),
	});
	if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${await r.text()}`);
	const s = await r.json();
	/**
	 * @param {string} method
	 * @param {string} path
	 * @param {unknown} [body]
	 * @returns {Promise<any>}
	 */
	const call = async (method, path, body) => {
		const res = await fetch(base + '/api/v1' + path, {
			method,
			headers: { Authorization: 'Bearer ' + s.access_token, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		if (res.status >= 300) throw new Error(`${method} ${path} as ${username}: ${res.status} ${text}`);
		return text ? JSON.parse(text) : null;
	};
	return { user: s.user, call };
}
