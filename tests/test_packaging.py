"""Packaging for deployment: extras that keep training out of the API, the lock, the image
and the compose file (parsed here: Docker may not run where the tests do)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).parent.parent
TRAINING_ONLY = {"mlflow", "shap", "matplotlib"}


def names(requirements: list[str]) -> set[str]:
    """The distribution names of requirement strings."""
    return {re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0].lower() for r in requirements}


def test_the_api_installs_nothing_only_training_needs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    api = names(project["dependencies"]) | names(extras["api"])
    assert not api & TRAINING_ONLY
    assert "mlflow-skinny" in api and {"fastapi", "uvicorn", "prometheus-client"} <= api
    assert names(extras["train"]) >= TRAINING_ONLY
    assert "encours[api,train]" in extras["test"]  # make test installs everything


def test_serving_the_api_imports_no_training_library(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from fastapi.testclient import TestClient\n"
        "from config import Settings\n"
        "from ledger.storage import make_engine, migrate\n"
        "from serving.api.app import create_app\n"
        f"s = Settings(database_url='sqlite:///{tmp_path}/l.db', models_dir='{tmp_path}/m')\n"
        "migrate(make_engine(s.database_url))\n"
        "with TestClient(create_app(s, warm=True)) as c: assert c.get('/healthz').is_success\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert not loaded & {"shap", "matplotlib", "flask"}, loaded & {"shap", "matplotlib", "flask"}


def test_the_lock_pins_every_declared_dependency() -> None:
    lock = (ROOT / "requirements.lock").read_text().splitlines()
    pinned = {line.split("==")[0].lower().replace("_", "-") for line in lock if "==" in line}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = names(project["dependencies"])
    for extra in ("api", "train"):
        declared |= names(project["optional-dependencies"][extra])
    assert declared <= pinned, declared - pinned


def test_every_floor_is_the_version_the_tests_ran_with() -> None:
    """The declared floors are the locked (tested) versions, not older ones nobody ran:
    after `make lock` moves a version, its floor moves with it."""
    lock = (ROOT / "requirements.lock").read_text().splitlines()
    locked = {
        re.sub(r"[-_.]+", "-", name).lower(): version.split(";")[0].strip()
        for name, _, version in (line.partition("==") for line in lock if "==" in line)
    }
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = list(project["dependencies"])
    for extra in ("api", "train"):
        runtime += project["optional-dependencies"][extra]
    for requirement in runtime:
        name, floor = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^\]]+\])?>=(.+)", requirement).groups()
        assert floor == locked[re.sub(r"[-_.]+", "-", name).lower()], requirement


def test_the_image_runs_the_api_extra_from_the_lock_as_a_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert 'pip install --constraint requirements.lock ".[api]"' in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.MULTILINE)
    assert "encours serve --host 0.0.0.0 --port 8000 --workers ${WORKERS}" in dockerfile


def test_compose_migrates_once_before_the_api_starts() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "mlflow", "migrate", "api"}
    assert services["migrate"]["command"] == ["encours", "db", "upgrade"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    api = services["api"]
    assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert int(api["environment"]["WORKERS"]) > 1
    for name in ("migrate", "api"):  # both on the same PostgreSQL and MLflow server
        env = services[name]["environment"]
        assert env["ENCOURS_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["ENCOURS_MLFLOW_URI"] == "http://mlflow:5000"
    assert services["db"]["image"].startswith("postgres:")
    assert "mlflow server" in services["mlflow"]["command"]
