"""Shared by the tests that run a documentation page's `$ ` commands as written."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass
class Command:
    text: str
    expected: list[str]


def page_commands(markdown: str) -> list[Command]:
    """Every `$ ` command of a page's console blocks (continuation lines joined),
    with the output lines shown under it."""
    commands: list[Command] = []
    for block in re.findall(r"```console\n(.*?)```", markdown, re.S):
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            i += 1
            if not line.startswith("$ "):
                if commands and line.strip():
                    commands[-1].expected.append(line)
                continue
            text = line[2:]
            while text.endswith("\\") and i < len(lines):
                text = text + "\n" + lines[i]
                i += 1
            commands.append(Command(text, []))
    return commands


def shape(line: str) -> str:
    """A line with its numbers and hashes blanked, to compare example and live output."""
    return re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|[0-9a-f]{16,}|\d+", "#", line)
