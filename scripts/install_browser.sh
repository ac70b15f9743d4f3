#!/usr/bin/env bash
# Install the browser the real-browser tests drive (tests/browser/), idempotently.
#
# Playwright's own bundled browsers are not used: `playwright install` downloads them from a
# CDN, which closed networks refuse. Debian's `chromium` package is installed instead, and the
# tests launch it from /usr/bin/chromium. As root this installs it with apt-get when it is
# missing; otherwise it prints the exact command to run. It always exits 0, so setup goes on
# without a browser (the browser tests then skip, except under CI=true, where they fail).
set -uo pipefail

BROWSER=/usr/bin/chromium
PACKAGE=chromium
APT_LINE="apt-get update && apt-get install -y --no-install-recommends ${PACKAGE}"

if [ -x "$BROWSER" ]; then
  echo "install_browser: ${BROWSER} is present ($("$BROWSER" --version 2>/dev/null || echo "version unknown"))"
  exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install_browser: ${BROWSER} is missing; the browser tests will be skipped." >&2
  echo "install_browser: install it as root:  sudo sh -c '${APT_LINE}'" >&2
  exit 0
fi

echo "install_browser: installing Debian's ${PACKAGE}"
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq && apt-get install -y -qq --no-install-recommends "$PACKAGE" >/dev/null; then
  if [ -x "$BROWSER" ]; then
    echo "install_browser: installed $("$BROWSER" --version 2>/dev/null || echo "$BROWSER")"
    exit 0
  fi
  echo "install_browser: ${PACKAGE} was installed but ${BROWSER} is not there" >&2
else
  echo "install_browser: apt-get could not install ${PACKAGE}" >&2
fi
echo "install_browser: install it by hand:  ${APT_LINE}" >&2
echo "install_browser: (continuing: the browser tests will be skipped without it)" >&2
exit 0
