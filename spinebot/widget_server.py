"""Serves the website widget and a demo page of the clinic's site (`make run` starts it).

In production any web server can serve `widget/dist/` (the two files a page embeds); this small
server exists so that a newcomer sees the widget working at once, and so the browser tests have
a page to open. It only ever serves files from fixed folders, never a path the request makes up.

    python -m spinebot.widget_server --port 8080 --rasa-url http://localhost:5005
"""

from __future__ import annotations

import argparse
import mimetypes
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Optional, Tuple
from urllib.parse import urlsplit

from spinebot import paths

WIDGET_DIR = paths.PROJECT_ROOT / "widget"
PAGES = {
    "/": "index.html",
    "/index.html": "index.html",
    "/about.html": "about.html",
    "/privacy.html": "privacy.html",
    "/webchat-compat.html": "webchat-compat.html",
}
FOLDERS = {"/widget/": WIDGET_DIR / "dist", "/vendor/": WIDGET_DIR / "vendor"}
RASA_URL_PLACEHOLDER = "{{RASA_URL}}"


def resolve(url_path: str) -> Optional[Tuple[Path, bool]]:
    """The file for a URL path and whether it is a templated page, or None (never outside the folders)."""
    if url_path in PAGES:
        return WIDGET_DIR / "demo" / PAGES[url_path], True
    for prefix, folder in FOLDERS.items():
        if url_path.startswith(prefix):
            name = url_path[len(prefix) :]
            if name and "/" not in name and not name.startswith(".") and (folder / name).is_file():
                return folder / name, False
    return None


def security_headers(rasa_url: str, page: bool) -> Dict[str, str]:
    headers = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}
    if page:
        ws_url = rasa_url.replace("http://", "ws://").replace("https://", "wss://")
        headers["Content-Security-Policy"] = (
            f"default-src 'self'; connect-src 'self' {rasa_url} {ws_url}; img-src 'self' data:; "
            "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'self'"
        )
    return headers


class WidgetHandler(BaseHTTPRequestHandler):
    server_version = "SpineBotWidget"

    def __init__(self, *args, rasa_url: str, **kwargs) -> None:
        self.rasa_url = rasa_url
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._respond(with_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(with_body=False)

    def _respond(self, with_body: bool) -> None:
        found = resolve(urlsplit(self.path).path)
        if found is None:
            self.send_error(HTTPStatus.NOT_FOUND, "Not found")
            return
        path, page = found
        body = path.read_bytes()
        if page:
            body = body.replace(RASA_URL_PLACEHOLDER.encode(), self.rasa_url.encode())
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.send_response(HTTPStatus.OK)
        self.send_header(
            "Content-Type",
            f"{content_type}; charset=utf-8"
            if content_type.startswith(("text/", "application/javascript"))
            else content_type,
        )
        self.send_header("Content-Length", str(len(body)))
        for name, value in security_headers(self.rasa_url, page).items():
            self.send_header(name, value)
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # quieter than the default
        pass


def make_server(host: str, port: int, rasa_url: str) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), partial(WidgetHandler, rasa_url=rasa_url.rstrip("/")))


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve SpineBot's widget and demo page.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rasa-url", default="http://localhost:5005")
    args = parser.parse_args()
    server = make_server(args.host, args.port, args.rasa_url)
    print(f"SpineBot demo page: http://localhost:{args.port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
