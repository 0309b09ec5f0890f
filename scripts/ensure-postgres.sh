#!/usr/bin/env bash
# Makes sure PostgreSQL server binaries are installed (the test suite starts its own server from them).
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  exit 0
fi
echo "PostgreSQL not found: installing Debian's server packages for the tests"
scripts/apt-install.sh postgresql
