#!/usr/bin/env bash
# Builds the two files a web page embeds: dist/spinebot-widget.js (the vendored socket.io client,
# then the widget) and dist/spinebot-widget.css. No npm and no bundler needed; output is committed.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p dist
{ echo "/* socket.io-client (MIT), see vendor/VERSIONS */"; cat vendor/socket.io.min.js; echo; cat src/spinebot-widget.js; } > dist/spinebot-widget.js
cp src/spinebot-widget.css dist/spinebot-widget.css
