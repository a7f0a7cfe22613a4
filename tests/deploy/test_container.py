"""The container image and the compose deployment, checked against the code they run.

Images cannot be built here (no registry for base images), so the Dockerfile and
deploy/compose.yaml are read as files and every fact they state about the repository is
checked: the `alot` commands they run exist with those options, the ALOT_* settings they
set are real settings, the health checks ask real routes, the files they copy or mount
exist and are not left out of the build context, the user is not root, no development
tools are installed. `docker compose config` validates the compose file too when Docker
Compose is installed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import click
import pytest
import yaml
from alot_ledger.settings import LedgerSettings
from alot_platform.app import create_app
from alot_platform.cli import main as alot_cli
from alot_platform.config import Settings

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
DEPLOY = REPO / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "env.example"

# Not ALOT_* settings, but variables the env example may name: prometheus-client's
# multiprocess folder and boto3's credentials.
OTHER_VARIABLES = {"PROMETHEUS_MULTIPROC_DIR", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
# Mounted by compose, written by the monitoring work (Prometheus rules, Grafana).
MONITORING_MOUNTS = {"prometheus", "grafana/provisioning", "grafana/dashboards"}
# In a container the server listens on every interface (the port is what compose publishes).
ALL_INTERFACES = "0.0.0.0"  # noqa: S104


# ---- reading the Dockerfile -------------------------------------------------------------


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for args in self.all("ENV"):
            for item in shlex.split(args):
                name, _, value = item.partition("=")
                values[name] = value
        return values


def _logical_lines(text: str) -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    return lines


def _dockerfile() -> tuple[dict[str, str], list[Stage]]:
    """The global ARG defaults and the stages, in order."""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in _logical_lines(DOCKERFILE.read_text()):
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = rest.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], words[0])
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base, name))
        elif not stages:
            assert keyword == "ARG", f"only ARG may come before the first FROM, not {keyword}"
            name, _, default = rest.partition("=")
            args[name] = default
        else:
            stages[-1].instructions.append((keyword, rest))
    return args, stages


def _exec_form(args: str) -> list[str]:
    """An instruction's JSON array form (CMD ["a", "b"]), which the image must use."""
    assert args.startswith("["), f"not in exec form: {args}"
    return json.loads(args)


def _copy_arguments(args: str) -> tuple[dict[str, str], list[str], str]:
    words = shlex.split(args)
    flags = {}
    while words and words[0].startswith("--"):
        name, _, value = words.pop(0)[2:].partition("=")
        flags[name] = value
    return flags, words[:-1], words[-1]


# ---- reading the compose file and the env example ---------------------------------------


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _env_example() -> tuple[dict[str, str], set[str]]:
    """The settings the example sets, and every variable it names (set or commented)."""
    values: dict[str, str] = {}
    named: set[str] = set()
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$", line.strip())
        if match is None:
            continue
        commented, name, value = match.groups()
        named.add(name)
        if not commented:
            assert name not in values, f"{name} is set twice"
            values[name] = value
    return values, named


def _real_settings() -> set[str]:
    """Every ALOT_* variable the platform or its ledger reads."""
    return {f"ALOT_{name.upper()}" for name in Settings.model_fields} | {
        f"ALOT_{name.upper()}" for name in LedgerSettings.model_fields
    }


def _alot_command(args: list[str]) -> click.Context:
    """Parse `alot <args>` with the real CLI, without running it (bad usage raises)."""
    command: click.Command = alot_cli
    path = ["alot"]
    rest = list(args)
    while isinstance(command, click.Group):
        assert rest, f"`{' '.join(path)}` needs a subcommand"
        name = rest.pop(0)
        sub = command.get_command(click.Context(command), name)
        assert sub is not None, f"`{' '.join(path)} {name}`: no such command"
        command, path = sub, [*path, name]
    return command.make_context(" ".join(path), rest)


def _routes(tmp_path: Path) -> set[str]:
    app = create_app(Settings(env="test", var_dir=tmp_path))
    return set(app.openapi()["paths"])


def _healthcheck_python(test: list[str]) -> str:
    assert test[:3] == ["CMD", "python", "-c"], test
    return test[3]


def _urls_in(code: str) -> list[str]:
    return re.findall(r"https?://[^'\"\s]+", code)


# ---- the Dockerfile ------------------------------------------------------------------------


def test_the_image_builds_the_web_client_in_a_node_stage_and_serves_it() -> None:
    _, stages = _dockerfile()
    web = next(stage for stage in stages if stage.base.startswith("node:"))
    node_major = int(web.base.split(":")[1].split("-")[0])
    assert node_major >= 20  # web/package.json's engines
    runs = " && ".join(web.all("RUN"))
    assert "npm ci" in runs
    assert "npm run build" in runs
    # vite writes the build to <web>/dist (web/vite.config.ts's outDir).
    assert 'outDir: "dist"' in (REPO / "web" / "vite.config.ts").read_text()
    (workdir,) = web.all("WORKDIR")
    runtime = stages[-1]
    copies = [_copy_arguments(args) for args in runtime.all("COPY")]
    from_web = [
        (sources, target) for flags, sources, target in copies if flags.get("from") == web.name
    ]
    assert from_web == [([f"{workdir}/dist"], runtime.env()["ALOT_WEB_DIR"])]
    # ALOT_WEB_DIR is the setting the platform serves the client from.
    assert "web_dir" in Settings.model_fields


def test_the_python_environment_comes_from_the_lock_file_without_dev_tools() -> None:
    _, stages = _dockerfile()
    builder = next(stage for stage in stages if any("uv sync" in run for run in stage.all("RUN")))
    syncs = [run for run in builder.all("RUN") if "uv sync" in run]
    for sync in syncs:
        words = shlex.split(sync)
        assert "--frozen" in words or "--locked" in words, sync  # exactly the lock file
        assert "--no-default-groups" in words, sync  # no test, lint or docs groups
        assert words[words.index("--package") + 1] == "alot-platform", sync
    assert "--no-editable" in shlex.split(syncs[-1])  # the runtime needs no sources
    # uv is the version the Makefile bootstraps.
    makefile_uv = re.search(r"^UV_VERSION := (\S+)$", (REPO / "Makefile").read_text(), re.M)
    assert makefile_uv is not None
    (uv_arg,) = [a for a in builder.all("ARG") if a.startswith("UV_VERSION=")]
    assert uv_arg == f"UV_VERSION={makefile_uv.group(1)}"
    # The Python of the images is the project's.
    python = (REPO / ".python-version").read_text().strip()
    assert all(s.base.startswith(f"python:{python}-") for s in stages if s.base.startswith("py"))
    # The workspace packages copied are alot-platform and exactly what it needs of the
    # workspace (read from the lock file).
    lock = tomllib.loads((REPO / "uv.lock").read_text())
    workspace = {p["name"]: p for p in lock["package"] if "editable" in p["source"]}
    needed, todo = set(), ["alot-platform"]
    while todo:
        name = todo.pop()
        needed.add(name)
        todo += [
            d["name"] for d in workspace[name].get("dependencies", []) if d["name"] in workspace
        ]
        todo = [n for n in todo if n not in needed]
    copied = {
        target
        for flags, sources, target in map(_copy_arguments, builder.all("COPY"))
        if "from" not in flags and sources == [target]
    }
    assert copied == {workspace[name]["source"]["editable"] for name in needed}


def test_the_runtime_runs_alot_as_a_user_that_is_not_root() -> None:
    _, stages = _dockerfile()
    runtime = stages[-1]
    (user,) = runtime.all("USER")
    name = user.split(":")[0]
    assert name not in ("root", "0")
    created = " ".join(runtime.all("RUN"))
    uid = re.search(rf"useradd .*--uid (\d+) .*\b{name}\b", created)
    assert uid is not None
    assert int(uid.group(1)) != 0
    # The instruction that switches user comes after every RUN (which would run as it).
    keywords = [kw for kw, _ in runtime.instructions]
    assert keywords.index("USER") > max(i for i, kw in enumerate(keywords) if kw == "RUN")
    assert _exec_form(runtime.all("ENTRYPOINT")[0]) == ["alot"]
    assert (
        "alot"
        in tomllib.loads((REPO / "services" / "platform" / "pyproject.toml").read_text())[
            "project"
        ]["scripts"]
    )
    # The default command is a real `alot` command with real options.
    context = _alot_command(_exec_form(runtime.all("CMD")[0]))
    assert context.info_name == "alot serve"
    assert context.params["host"] == ALL_INTERFACES


def test_every_setting_the_image_sets_is_real() -> None:
    _, stages = _dockerfile()
    env = stages[-1].env()
    settings = {name for name in env if name.startswith("ALOT_")}
    assert settings <= _real_settings()
    values = {
        name.removeprefix("ALOT_").lower(): value for name, value in env.items() if name in settings
    }
    assert Settings(**(values | {"env": "test"})).web_dir == Path("/app/web/dist")
    assert env["ALOT_ENV"] == "production"


def test_the_health_check_asks_a_real_route(tmp_path: Path) -> None:
    _, stages = _dockerfile()
    (check,) = stages[-1].all("HEALTHCHECK")
    code = _exec_form(check[check.index("CMD") + 3 :].strip())
    compile(_healthcheck_python(["CMD", *code]), "HEALTHCHECK", "exec")
    (url,) = _urls_in(code[2])
    assert urlparse(url).port == 8000
    assert urlparse(url).path in _routes(tmp_path)


def _pattern_regex(pattern: str) -> str:
    """A .dockerignore pattern as a regex: `**/` any folders, `*` and `?` within a name."""
    regex = ""
    for token in re.findall(r"\*\*/|\*|\?|\[[^\]]*\]|[^*?\[]+", pattern):
        if token == "**/":
            regex += "(?:.*/)?"
        elif token == "*":
            regex += "[^/]*"
        elif token == "?":
            regex += "[^/]"
        elif token.startswith("["):
            regex += token
        else:
            regex += re.escape(token)
    return regex


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matches a path or a parent."""
    ignored = False
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!")
        regex = _pattern_regex(pattern)
        if any(re.fullmatch(regex, prefix) for prefix in prefixes):
            ignored = not negate
    return ignored


def test_what_the_image_copies_exists_and_reaches_the_build() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert _ignored(".git", patterns)  # the matcher works on what must be left out
    assert _ignored("web/node_modules/react/index.js", patterns)
    assert _ignored("services/platform/.venv", patterns)
    _, stages = _dockerfile()
    sources = [
        source
        for stage in stages
        for flags, found, _ in map(_copy_arguments, stage.all("COPY"))
        if "from" not in flags
        for source in found
    ]
    assert sources
    for source in sources:
        path = REPO / source.rstrip("/")
        assert path.exists(), f"COPY {source}: not in the repository"
        assert not _ignored(source.rstrip("/"), patterns), f"COPY {source}: .dockerignore drops it"
    # The web build type-checks what web/tsconfig.json includes: it must reach the build.
    for included in ("src", "tests", "e2e", "vite.config.ts"):
        assert not _ignored(f"web/{included}", patterns)
    # Each workspace package's sources reach it too (not only the folder name).
    for package in ("packages/alot-verify", "services/ledger", "services/platform"):
        for file in (REPO / package).rglob("*.py"):
            relative = file.relative_to(REPO).as_posix()
            if "__pycache__" not in relative:
                assert not _ignored(relative, patterns), relative


# ---- the compose file ---------------------------------------------------------------------


def test_compose_runs_the_platform_services_with_real_commands() -> None:
    services = _compose()["services"]
    assert set(services) >= {
        "postgres",
        "redis",
        "migrate",
        "api",
        "worker",
        "beat",
        "prometheus",
        "grafana",
    }
    platform = {
        name: s for name, s in services.items() if s.get("image", "").startswith("${ALOT_IMAGE")
    }
    assert set(platform) == {"migrate", "api", "worker", "beat"}
    for name, service in platform.items():
        # The image built from this repository, never one a registry hands out.
        assert service["pull_policy"] == "never", name
        assert "build" not in service, name
    commands = {name: _alot_command(s["command"]).info_name for name, s in platform.items()}
    assert commands == {
        "migrate": "alot migrate",
        "api": "alot serve",
        "worker": "alot worker",
        "beat": "alot beat",
    }
    assert services["api"]["deploy"]["replicas"] == 2
    assert _alot_command(services["api"]["command"]).params["host"] == ALL_INTERFACES
    # The API listens on the port it publishes and its health check asks.
    (published,) = services["api"]["ports"]
    assert published.endswith(":8000")
    assert "--port" in services["api"]["command"]
    assert _alot_command(services["api"]["command"]).params["port"] == 8000


def test_every_service_has_a_health_check_and_waits_on_conditions(tmp_path: Path) -> None:
    services = _compose()["services"]
    routes = _routes(tmp_path)
    for name, service in services.items():
        check = service.get("healthcheck")
        if name == "migrate":  # a one-shot: the others wait for it to complete
            assert check == {"disable": True}
            assert service["restart"] == "no"
            continue
        assert check, f"{name} has no health check"
        assert check["test"][0] == "CMD", name
        if check["test"][1] == "python":
            compile(_healthcheck_python(check["test"]), f"{name} healthcheck", "exec")
        for depended, condition in service.get("depends_on", {}).items():
            assert depended in services, f"{name} depends on an unknown {depended}"
            assert condition["condition"] in (
                "service_healthy",
                "service_completed_successfully",
            ), f"{name} -> {depended}"
            if depended == "migrate":
                assert condition["condition"] == "service_completed_successfully"
            else:
                assert condition["condition"] == "service_healthy"
                assert services[depended].get("healthcheck", {}).get("disable") is not True
    for name in ("api", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    (url,) = _urls_in(_healthcheck_python(services["api"]["healthcheck"]["test"]))
    assert urlparse(url).path in routes
    assert urlparse(url).path == "/readyz"  # ready: the database answers too
    # The worker's check pings the app `alot worker` runs (the real Celery app factory).
    worker_check = _healthcheck_python(services["worker"]["healthcheck"]["test"])
    assert "from alot_platform.worker import make_app" in worker_check
    # Beat's check looks where `alot beat` keeps its schedule: <ALOT_VAR_DIR>.
    _, stages = _dockerfile()
    var_dir = stages[-1].env()["ALOT_VAR_DIR"]
    assert f"'{var_dir}/celerybeat-schedule*'" in _healthcheck_python(
        services["beat"]["healthcheck"]["test"]
    )
    assert f"alot-var:{var_dir}" in services["api"]["volumes"]


def test_compose_mounts_and_secrets_exist_and_secrets_stay_out_of_git() -> None:
    compose = _compose()
    for name, secret in compose["secrets"].items():
        path = (DEPLOY / secret["file"]).resolve()
        assert path.parent == DEPLOY / "secrets", name
        ignored = subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=REPO, check=False)
        assert ignored.returncode == 0, f"{path} would be committable"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(DEPLOY / "alot.env")], cwd=REPO, check=False
    )
    assert ignored.returncode == 0, "deploy/alot.env would be committable"
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                relative = Path(source).as_posix().removeprefix("./")
                if relative in MONITORING_MOUNTS:
                    continue  # test_monitoring_mounts_exist
                assert (DEPLOY / source).exists(), f"{name} mounts a missing {source}"
            else:
                assert source in compose["volumes"], f"{name}: undeclared volume {source}"
    # The signing key reaches every platform container as the file the ledger reads.
    for name in ("migrate", "api", "worker", "beat"):
        service = compose["services"][name]
        assert "ledger_signing_key" in service["secrets"]
        assert service["environment"]["ALOT_LEDGER_SIGNING_KEY_FILE"] == (
            "/run/secrets/ledger_signing_key"
        )


def test_monitoring_mounts_exist() -> None:
    missing = [m for m in sorted(MONITORING_MOUNTS) if not (DEPLOY / m).exists()]
    if missing:
        pytest.skip(f"not written yet by the monitoring work: {', '.join(missing)}")
    assert (DEPLOY / "prometheus" / "prometheus.yml").is_file()


def test_every_alot_variable_named_is_a_real_setting() -> None:
    _, named = _env_example()
    real = _real_settings()
    unknown = {n for n in named if n.startswith("ALOT_")} - real
    assert not unknown, f"not settings of the platform or the ledger: {sorted(unknown)}"
    others = {n for n in named if not n.startswith("ALOT_")}
    assert others <= OTHER_VARIABLES
    # The compose file sets only real settings too.
    for name, service in _compose()["services"].items():
        for variable in service.get("environment", {}):
            if variable.startswith("ALOT_"):
                assert variable in real, f"{name}: {variable}"


def test_the_env_example_is_a_valid_production_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values, _ = _env_example()
    for variable in list(os.environ):
        if variable.startswith("ALOT_"):
            monkeypatch.delenv(variable)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = Settings()  # production's checks: keys, SMTP, Stripe, Celery's broker
    assert settings.env == "production"
    assert settings.task_runner == "celery"
    assert settings.payment_provider == "stripe"
    assert not settings.scheduler_enabled  # beat ticks, not every API process
    assert settings.resolved_database_url.startswith("postgresql+psycopg://")
    assert urlparse(settings.resolved_database_url).hostname == "postgres"
    assert urlparse(settings.redis_url or "").hostname == "redis"
    assert settings.public_url == settings.frontend_origin  # the client is same-origin
    # Secrets are placeholders, never real values.
    for name in ("ALOT_SECRET_KEY", "ALOT_FIELD_ENCRYPTION_KEYS", "ALOT_STRIPE_SECRET_KEY"):
        assert "CHANGE_ME" in values[name]
    assert "CHANGE_ME" in (urlparse(settings.resolved_database_url).password or "")
    # The ledger reads the same file: its origin is set, its key comes from compose.
    ledger = LedgerSettings()
    assert ledger.ledger_origin == values["ALOT_LEDGER_ORIGIN"]


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker is not installed")
    version = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, check=False
    )
    if version.returncode != 0:
        pytest.skip("Docker Compose is not installed")
    deploy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, deploy)
    shutil.copy(ENV_EXAMPLE, deploy / "alot.env")
    for secret in _compose()["secrets"].values():
        (deploy / secret["file"]).write_text("placeholder\n")
    for mount in MONITORING_MOUNTS:
        (deploy / mount).mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [docker, "compose", "-f", str(deploy / "compose.yaml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
