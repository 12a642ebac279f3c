"""The library's messages in the command line's words.

    in_cli_words("memory_mb=-4: a whole number, more than 0", command)
    # "--memory-mb -4: a whole number, more than 0"

The library names what a caller got wrong in Python's words (``allow_template=True``,
``mark_as_vm``). Someone at a shell typed options and commands, so the same message names
the option of the command that ran (``--allow-template``) and the command to run next.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import click

# Library calls that messages suggest, and the command that does the same.
COMMANDS = {
    "mark_as_vm": "vmw vm mark-vm",
    "mark_as_template": "vmw vm mark-template",
    "create_folder": "vmw folder create",
    "delete_folder": "vmw folder rm",
    "remove_snapshot": "vmw snapshot rm",
    "power_off": "vmw vm off",
}

# Keywords whose option has another name, or that every command takes (global options).
OPTIONS = {
    "resource_pool": "--pool",
    "username": "--user",
    "insecure": "--insecure",
    "thumbprint": "--thumbprint",
    "ca_file": "--ca-file",
    "retry_timeout": "--retry-timeout",
    "guest_username": "--guest-user",
    "guest_password": "--guest-password",
}

# keyword=value, where value is a quoted string, a bracketed list or one word; or keyword=
# alone ("pin it with thumbprint=").
_KEYWORD = re.compile(
    r"(?<![\w.-])(?P<name>[a-z][a-z0-9_]*)="
    r"(?P<value>'[^']*'|\"[^\"]*\"|\[[^\]]*\]|\([^)]*\)|[^\s,;:)]+)?"
)
_CALL = re.compile(r"\b(" + "|".join(map(re.escape, COMMANDS)) + r")\b(\(\))?")


def option_names(command: click.Command | None) -> dict[str, click.Option]:
    """The command's options by their Python name."""
    if command is None:
        return {}
    return {
        p.name: p for p in command.params if isinstance(p, click.Option) and p.name and not p.hidden
    }


def _long(option: click.Option) -> str:
    return next((o for o in option.opts if o.startswith("--")), option.opts[0])


def in_cli_words(message: str, command: click.Command | None = None) -> str:
    """``message`` with keywords as the options of ``command`` (or the global options) and
    library calls as commands. Keywords that no option takes are left as they are."""
    options = option_names(command)

    def keyword(match: re.Match[str]) -> str:
        name, value = match["name"], match["value"]
        option = options.get(name)
        if option is not None:
            flag = _long(option)
            if option.is_flag:
                if value == "False":
                    return option.secondary_opts[0] if option.secondary_opts else f"no {flag}"
                return flag
        elif name in OPTIONS:
            flag = OPTIONS[name]
            if value == "True":
                return flag
        else:
            return match[0]
        if value is None or value == "True":
            return flag
        if value.startswith("'") and re.fullmatch(r"'[\w.:@/+-]+'", value):
            value = value[1:-1]  # a quoted word needs no quotes in a shell
        return f"{flag} {value}"

    message = _KEYWORD.sub(keyword, message)
    return _CALL.sub(lambda m: f"'{COMMANDS[m[1]]}'", message)


def words_of(ctx: click.Context | None = None) -> Callable[[str], str]:
    """A function that words library messages for the running command."""
    ctx = ctx or click.get_current_context(silent=True)
    command = ctx.command if ctx is not None else None
    return lambda message: in_cli_words(message, command)
