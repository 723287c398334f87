"""The `spinebot` command: staff accounts, retention and erasure.

spinebot user add NAME --role staff|admin    (asks for the password, or reads it from stdin)
spinebot purge [--older-than DAYS]           (default: retention_days in clinic.yml)
spinebot erase --sender ID                   (everything held about one conversation)
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import List, Optional

from spinebot.clinic import default_clinic_settings
from spinebot.console.accounts import ROLES, AccountError, Accounts
from spinebot.console.retention import erase_conversation, purge_older_than
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
    purge = commands.add_parser("purge", help="delete everything older than the retention period")
    purge.add_argument("--older-than", type=int, metavar="DAYS", help="default: retention_days in clinic.yml")
    erase = commands.add_parser("erase", help="delete everything held about one conversation")
    erase.add_argument("--sender", required=True, metavar="ID")
    args = parser.parse_args(argv)
    operator = f"cli:{getpass.getuser()}"
    if args.command == "purge":
        days = args.older_than or default_clinic_settings().retention_days
        if days < 1:
            print("spinebot: --older-than must be 1 or more", file=sys.stderr)
            return 2
        print(f"deleted {purge_older_than(default_store(), days, operator).summary()}")
        return 0
    if args.command == "erase":
        print(f"deleted {erase_conversation(default_store(), args.sender, operator).summary()}")
        return 0
    try:
        created = Accounts(default_store()).add_user(args.name, args.role, _password(sys.stdin.isatty()))
    except AccountError as error:
        print(f"spinebot: {error}", file=sys.stderr)
        return 2
    print(f"created {created.role} account {created.name!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
