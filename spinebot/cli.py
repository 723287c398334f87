"""The `spinebot` command: staff accounts for the console.

    spinebot user add NAME --role staff|admin    (asks for the password, or reads it from stdin)
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import List, Optional

from spinebot.console.accounts import ROLES, AccountError, Accounts
from spinebot.storage import default_store


def _password(stream_is_terminal: bool) -> str:
    if not stream_is_terminal:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise AccountError("the two passwords differ")
    return first


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="spinebot", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    user = commands.add_parser("user", help="staff accounts").add_subparsers(dest="action", required=True)
    add = user.add_parser("add", help="create a staff account")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default="staff")
    args = parser.parse_args(argv)
    try:
        created = Accounts(default_store()).add_user(args.name, args.role, _password(sys.stdin.isatty()))
    except AccountError as error:
        print(f"spinebot: {error}", file=sys.stderr)
        return 2
    print(f"created {created.role} account {created.name!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
