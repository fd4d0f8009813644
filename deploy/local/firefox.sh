#!/usr/bin/env bash
# Makes sure Debian's Firefox ESR is installed for the Firefox browser test
# (web/e2e/tests/firefox.test.js, driven over WebDriver BiDi by
# puppeteer-core). Idempotent; never downloads a browser from anywhere but
# the Debian archive. Prints the firefox path on stdout; progress on stderr.
set -euo pipefail

log() { echo "firefox: $*" >&2; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
		log "need root to run: $*"; return 1; fi
}

if ! dpkg -s firefox-esr >/dev/null 2>&1 || [ ! -x /usr/bin/firefox-esr ]; then
	log "installing firefox-esr from the Debian archive"
	if [ ! -e /tmp/.cau-apt-updated ]; then
		as_root apt-get update -qq >&2 && touch /tmp/.cau-apt-updated
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >&2
fi
echo /usr/bin/firefox-esr
