"""The widget's committed files are what its sources and pinned vendor files build, and the
demo server serves only its own folders."""

from __future__ import annotations

import hashlib
import re
import threading
import urllib.error
import urllib.request

import pytest

from spinebot import paths
from spinebot.local_servers import free_port
from spinebot.widget_server import make_server

WIDGET = paths.PROJECT_ROOT / "widget"


def test_dist_is_built_from_the_sources():
    expected = (
        "/* socket.io-client (MIT), see vendor/VERSIONS */\n"
        + (WIDGET / "vendor" / "socket.io.min.js").read_text()
        + "\n"
        + (WIDGET / "src" / "spinebot-widget.js").read_text()
    )
    assert (WIDGET / "dist" / "spinebot-widget.js").read_text() == expected, "run `bash widget/build.sh`"
    assert (WIDGET / "dist" / "spinebot-widget.css").read_text() == (WIDGET / "src" / "spinebot-widget.css").read_text()


def test_vendored_files_match_their_recorded_checksums():
    lines = [
        line.split()
        for line in (WIDGET / "vendor" / "VERSIONS").read_text().splitlines()
        if re.match(r"^[0-9a-f]{64}\s", line)
    ]
    assert len(lines) == 3
    for digest, name in lines:
        assert hashlib.sha256((WIDGET / name).read_bytes()).hexdigest() == digest, name


@pytest.fixture(scope="module")
def server():
    port = free_port()
    httpd = make_server("127.0.0.1", port, "http://localhost:5005")
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    httpd.shutdown()
    httpd.server_close()


def status(url: str) -> int:
    try:
        return urllib.request.urlopen(url, timeout=10).status
    except urllib.error.HTTPError as error:
        return error.code


def test_demo_page_names_the_rasa_server_and_sends_a_csp(server):
    response = urllib.request.urlopen(server + "/", timeout=10)
    body = response.read().decode()
    assert 'data-server="http://localhost:5005"' in body
    assert "connect-src 'self' http://localhost:5005" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/widget/../../clinic.yml",
        "/widget/%2e%2e/src/spinebot-widget.js",
        "/vendor/",
        "/etc/passwd",
        "/widget/.hidden",
        "/../README.md",
    ],
)
def test_nothing_outside_the_widget_folders_is_served(server, path):
    assert status(server + path) == 404


def test_widget_files_are_served(server):
    assert status(server + "/widget/spinebot-widget.js") == 200
    assert status(server + "/widget/spinebot-widget.css") == 200
