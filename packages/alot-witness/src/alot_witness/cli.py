"""``alot-witness``: generate the witness's key, and serve add-checkpoint.

The data directory holds the witness's Ed25519 key (``witness.key``, created at first
run, readable by its owner only) and its state (``state.sqlite3``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click
from alot_verify.cosignature import generate_witness_key, witness_verifier_key
from alot_verify.errors import InputError

from alot_witness import __version__
from alot_witness.server import make_server
from alot_witness.state import WitnessState
from alot_witness.witness import Witness

KEY_FILE = "witness.key"
STATE_FILE = "state.sqlite3"


def _load_or_create_key(data_dir: Path, name: str) -> str:
    """The witness's signer key: read it, or create it (once) under ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / KEY_FILE
    if path.exists():
        signer_key = path.read_text(encoding="utf-8").strip()
        key_name = witness_verifier_key(signer_key).split("+", 1)[0]
        if key_name != name:
            raise click.UsageError(f"{path} holds the key of witness {key_name}, not {name}")
        return signer_key
    signer_key, _ = generate_witness_key(name)
    # Written to a temporary file and renamed, so a crash never leaves half a key.
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(signer_key + "\n")
    os.replace(temporary, path)
    return signer_key


def _log_keys(values: tuple[str, ...]) -> list[str]:
    keys = []
    for value in values:
        path = Path(value)
        keys.append(path.read_text(encoding="utf-8").strip() if path.is_file() else value)
    return keys


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="ALOT_WITNESS_DATA_DIR",
    required=True,
    help="Directory of the witness's key and state.",
)
name_option = click.option(
    "--name",
    envvar="ALOT_WITNESS_NAME",
    required=True,
    help="The witness's name (key name), e.g. witness.example/w1.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="alot-witness")
def cli() -> None:
    """A transparency-log witness for ALOT! ledger checkpoints (C2SP tlog-witness)."""


@cli.command("keygen")
@data_dir_option
@name_option
def keygen_command(data_dir: Path, name: str) -> None:
    """Create the witness's key (if it has none) and print its verifier key."""
    try:
        click.echo(witness_verifier_key(_load_or_create_key(data_dir, name)))
    except InputError as exc:
        raise click.UsageError(str(exc)) from exc


@cli.command("serve")
@data_dir_option
@name_option
@click.option(
    "--listen", default="127.0.0.1:7380", show_default=True, help="HOST:PORT to listen on."
)
@click.option(
    "--log",
    "logs",
    multiple=True,
    envvar="ALOT_WITNESS_LOGS",
    required=True,
    help="A log's verifier key <origin>+<id>+<base64> (or its file); repeatable.",
)
def serve_command(data_dir: Path, name: str, listen: str, logs: tuple[str, ...]) -> None:
    """Serve POST /add-checkpoint for the given logs until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    host, _, port = listen.rpartition(":")
    try:
        signer_key = _load_or_create_key(data_dir, name)
        witness = Witness(signer_key, _log_keys(logs), WitnessState(data_dir / STATE_FILE))
    except InputError as exc:
        raise click.UsageError(str(exc)) from exc
    server = make_server(witness, host or "127.0.0.1", int(port))
    bound_host, bound_port = server.server_address[:2]
    # The first line says where it listens and who it is: scripts and tests read it.
    click.echo(
        f"alot-witness {witness_verifier_key(signer_key)} listening on "
        f"http://{bound_host!s}:{bound_port}",
        err=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main() -> None:
    cli()
