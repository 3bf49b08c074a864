"""Passwords for AUTH and login tests: from an environment variable, a file, or a hidden
prompt; never from the command line (it lands in shell history) and never printed."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from mailcheck.errors import UsageError
from mailcheck.files import read_text


def refuse_command_line_password(value: str | None) -> None:
    if value is not None:
        raise UsageError(
            "a password on the command line lands in shell history and process listings",
            hint="use --password-env VAR, --password-file FILE, or answer the prompt",
        )


def read_password(user: str | None, env: str | None, file: str | None) -> str | None:
    password = _read_password(user, env, file)
    if password is not None and any(c in password for c in "\r\n\0"):
        # IMAP LOGIN and POP3 PASS carry it as it is: a line break would start a new command
        raise UsageError("the password holds CR, LF or NUL: it cannot be sent in a command")
    return password


def _read_password(user: str | None, env: str | None, file: str | None) -> str | None:
    if user is None:
        if env or file:
            raise UsageError("--password-env/--password-file need --user")
        return None
    if env and file:
        raise UsageError("give either --password-env or --password-file, not both")
    if env:
        value = os.environ.get(env)
        if value is None:
            raise UsageError(f"--password-env {env}: the variable is not set")
        if not value:
            # a CI secret a job may not read (a fork's pull request) arrives empty: a login
            # test with it would blame the server ("login refused")
            raise UsageError(f"--password-env {env}: the variable is empty")
        return value
    if file:
        path = Path(file)
        text = read_text(path, f"--password-file {file}")
        if path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH):
            sys.stderr.write(f"mailcheck: warning: {file} is readable by other users\n")
        if not text or not text.splitlines()[0]:
            raise UsageError(f"--password-file {file}: the first line (the password) is empty")
        return text.splitlines()[0]
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"password for {user}: ")
    raise UsageError(
        f"--user {user} needs a password",
        hint="use --password-env VAR or --password-file FILE (no terminal to prompt on)",
    )
