#!/usr/bin/env bash
# Set up everything the project needs on a fresh Debian/Ubuntu machine, idempotently:
# the OS packages (CJK fonts and HarfBuzz subsetting for the Chinese PDFs), a virtualenv in
# .venv and the project with its development tools, pinned by constraints.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

# poppler-utils and zbar-tools: the tests rasterise issued PDFs and scan their QR codes.
# redis-server: the shared login counters of several workers (tests/web/test_login_limit.py).
OS_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk poppler-utils zbar-tools redis-server)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for package in "${OS_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$package")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing OS packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: these OS packages are missing: ${missing[*]}" >&2
    echo "setup: install them as root:  sudo apt-get install ${missing[*]}" >&2
    echo "setup: (continuing: the case engine runs without them; PDF documents need them)" >&2
  fi
fi

# Debian's Chromium for the real-browser test (Playwright drives /usr/bin/chromium).
./scripts/install_browser.sh

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "setup: Python 3.11 or newer is required (found: $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing the project and its tools into .venv"
  # (grep drops pip's notes about local index folders this machine's pip.conf may name)
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | { grep -v "is ignored: it is neither" || true; }
  .venv/bin/python -m pip install -q -c constraints.txt -e ".[dev]" 2>&1 \
    | { grep -v "is ignored: it is neither" || true; }
  rm -f .venv/.installed-*
  touch "$stamp"
fi
# The Chinese catalog is kept as .po in git; its binary .mo is built here.
.venv/bin/python scripts/i18n.py --compile
