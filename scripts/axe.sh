#!/usr/bin/env bash
# Fetches the pinned axe-core (the accessibility engine the public pages' browser test runs in
# Chromium) from the npm registry with `npm pack`, checks its SHA-256, and prints the path of
# axe.min.js. scripts/test.sh exports it as GOLDAW_AXE_JS; without it the test checks the pages
# in Chromium but skips the axe audit (and says so).
#
# axe-core is MPL-2.0 (https://github.com/dequelabs/axe-core); it is fetched at test time and
# never shipped with goldaw.
set -euo pipefail
VERSION=4.14.1
SHA256=e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745
CACHE="${GOLDAW_AXE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/goldaw/axe-core-$VERSION}"
if [ ! -f "$CACHE/package/axe.min.js" ]; then
    command -v npm >/dev/null 2>&1 || { echo "axe.sh: npm is needed to fetch axe-core" >&2; exit 1; }
    mkdir -p "$CACHE"
    (cd "$CACHE" && npm pack --silent "axe-core@$VERSION" >/dev/null)
    echo "$SHA256  $CACHE/axe-core-$VERSION.tgz" | sha256sum -c --quiet -
    tar -xzf "$CACHE/axe-core-$VERSION.tgz" -C "$CACHE" package/axe.min.js package/LICENSE
fi
echo "$CACHE/package/axe.min.js"
