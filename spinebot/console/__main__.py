"""`python -m spinebot.console`: serve the staff console (loopback and port 8081 unless told otherwise)."""

from __future__ import annotations

import argparse
import os

from spinebot.console import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description="SpineBot staff console")
    parser.add_argument("--host", default=os.environ.get("CONSOLE_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CONSOLE_PORT", "8081")))
    args = parser.parse_args()
    from werkzeug.serving import run_simple

    run_simple(args.host, args.port, create_app(), threaded=True)


if __name__ == "__main__":
    main()
