#!/usr/bin/env bash
# Makes sure Debian's chromium is installed for the browser tests (make e2e).
# Idempotent; never downloads a browser from anywhere but the Debian archive.
# Prints the chromium path on stdout; progress goes to stderr.
set -euo pipefail

log() { echo "browser: $*" >&2; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
		log "need root to run: $*"; return 1; fi
}

if ! dpkg -s chromium >/dev/null 2>&1 || [ ! -x /usr/bin/chromium ]; then
	log "installing chromium from the Debian archive"
	if [ ! -e /tmp/.cau-apt-updated ]; then
		as_root apt-get update -qq >&2 && touch /tmp/.cau-apt-updated
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core >&2
fi
# Vietnamese text in screenshots needs a font with its diacritics.
if ! fc-list 2>/dev/null | grep -qi 'noto\|dejavu'; then
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-core >&2 || log "no Noto fonts; screenshots may lack diacritics"
fi
echo /usr/bin/chromium
