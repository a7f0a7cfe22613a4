"""The operations docs against the code: every `alot` command they tell an operator to
run exists with the options they give it, and every alert has its incident steps."""

from __future__ import annotations

import re
from pathlib import Path

import click
import yaml
from alot_platform.cli import main as alot_cli

REPO = Path(__file__).resolve().parents[2]
OPERATIONS = REPO / "docs" / "operations"
RUNBOOK = OPERATIONS / "runbook.md"
ALERT_RULES = REPO / "deploy" / "prometheus" / "alerts.yml"


def _alert_rules() -> list[str]:
    """The alerts of deploy/prometheus/alerts.yml, in the file's order."""
    rules = yaml.safe_load(ALERT_RULES.read_text())
    return [
        rule["alert"] for group in rules["groups"] for rule in group["rules"] if "alert" in rule
    ]


ALERTS = _alert_rules()
_COMMAND = re.compile(r"(?<![\w/-])alot((?: [a-z][a-z-]*)+)(.*)")
_SHELL_BREAK = re.compile(r"[|;&>`)]")


def _code(text: str) -> list[str]:
    """The lines of console blocks and the contents of inline code spans."""
    blocks = re.findall(r"```console\n(.*?)```", text, re.S)
    lines = [line for block in blocks for line in block.splitlines()]
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    # A span may wrap onto the next line of a paragraph.
    lines += [" ".join(span.split()) for span in re.findall(r"`([^`]+)`", prose)]
    return lines


def _resolve(words: list[str]) -> tuple[click.Command, list[str]]:
    """The deepest command `alot <words>` names, and the words left after it."""
    command: click.Command = alot_cli
    rest = list(words)
    while isinstance(command, click.Group) and rest:
        sub = command.get_command(click.Context(command), rest[0])
        if sub is None:
            break
        command = sub
        rest.pop(0)
    return command, rest


def _documented_commands() -> list[tuple[str, str, click.Command, list[str]]]:
    found = []
    for page in sorted(OPERATIONS.glob("*.md")):
        for line in _code(page.read_text()):
            for match in _COMMAND.finditer(line):
                before = line[: match.start()].split()
                if before and (before[-1].startswith("-") or before[-1] == "alot"):
                    continue  # a value: `createdb --username alot alot` names the database
                words = match.group(1).split()
                command, _ = _resolve(words)
                tail = _SHELL_BREAK.split(match.group(2))[0]
                options = re.findall(r"(?<!\S)(--[a-z][a-z-]*)", tail)
                found.append((page.name, line, command, options))
    return found


def test_every_alot_command_in_the_operations_docs_exists_with_its_options() -> None:
    found = _documented_commands()
    assert len(found) >= 20  # the runbook is made of them
    named = set()
    for page, line, command, options in found:
        assert command is not alot_cli, f"{page}: `{line}` names no alot command"
        assert not isinstance(command, click.Group), f"{page}: `{line}` stops at a group"
        named.add(command.name)
        if command.context_settings.get("ignore_unknown_options"):
            continue  # worker and beat pass the rest to Celery
        known = {opt for param in command.params for opt in param.opts}
        for option in options:
            assert option in known, f"{page}: `{line}`: {command.name} has no {option}"
    # The commands the incident steps rely on are all there.
    assert named >= {
        "migrate",
        "reconcile",
        "failed",
        "retry",
        "retry-events",
        "reseal-seeds",
        "tick",
        "create-admin",
    }


def test_a_misspelt_command_would_be_caught() -> None:
    command, rest = _resolve(["tasks", "retyr"])
    assert isinstance(command, click.Group)
    assert rest == ["retyr"]
    match = _COMMAND.search("dc exec api alot payments reconcile --jsn | jq")
    assert match is not None
    assert _resolve(match.group(1).split())[0].name == "reconcile"
    assert re.findall(r"(?<!\S)(--[a-z][a-z-]*)", _SHELL_BREAK.split(match.group(2))[0]) == [
        "--jsn"
    ]


def _alert_section_headings() -> list[str]:
    text = RUNBOOK.read_text()
    section = text.split("\n## Alerts\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^### (\S+)$", section, re.M)


def test_the_runbook_has_incident_steps_for_each_alert_rule_in_its_order() -> None:
    assert _alert_section_headings() == ALERTS
    text = RUNBOOK.read_text()
    for alert, following in zip(ALERTS, [*ALERTS[1:], None], strict=True):
        body = text.split(f"### {alert}\n", 1)[1]
        if following is not None:
            body = body.split(f"### {following}\n", 1)[0]
        assert "**What.**" in body, alert
        assert re.search(r"^\d+\. ", body, re.M), f"{alert} has no numbered steps"
