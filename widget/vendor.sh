#!/usr/bin/env bash
# Repeatable vendoring step: fetch the widget's third-party files from the npm registry at pinned
# versions (npm checks each package's integrity) and copy the one file of each that is used.
#   socket.io-client  -> vendor/socket.io.min.js      (bundled into dist/spinebot-widget.js)
#   axe-core          -> vendor/axe.min.js            (accessibility test only)
#   rasa-webchat      -> vendor/rasa-webchat.js       (compatibility test only)
# The results are committed, so neither the clinic nor the tests need npm. Run after changing a version.
set -euo pipefail
cd "$(dirname "$0")"
SOCKET_IO=4.8.1 AXE=4.11.0 WEBCHAT=1.0.1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "socket.io-client@$SOCKET_IO" "axe-core@$AXE" "rasa-webchat@$WEBCHAT" >/dev/null)
extract() { mkdir -p "$tmp/$1" && tar -xzf "$tmp"/$2 -C "$tmp/$1"; }
extract sio "socket.io-client-$SOCKET_IO.tgz"; extract axe "axe-core-$AXE.tgz"; extract webchat "rasa-webchat-$WEBCHAT.tgz"
cp "$tmp/sio/package/dist/socket.io.min.js" vendor/socket.io.min.js
cp "$tmp/axe/package/axe.min.js" vendor/axe.min.js
cp "$tmp/webchat/package/lib/index.js" vendor/rasa-webchat.js
cat > vendor/VERSIONS <<EOV
socket.io-client $SOCKET_IO (MIT)   dist/socket.io.min.js
axe-core $AXE (MPL-2.0)             axe.min.js
rasa-webchat $WEBCHAT (Apache-2.0)  lib/index.js
EOV
sha256sum vendor/*.js >> vendor/VERSIONS
echo "vendored: $(ls vendor)"
