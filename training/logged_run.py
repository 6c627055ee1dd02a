"""What the run of a registered version logged: parameters, metrics and files.

The model cards read a version's run (:mod:`training.model_card`): its figures, its
evaluation report, its card files when it has them. A version is named by its number or by
an alias (``champion``, ``challenger``); a number the model does not have is refused with
the numbers it has (:class:`training.registry.NoSuchVersion`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from training.registry import (
    CHALLENGER,
    CHAMPION,
    NoSuchVersion,
    RegistryError,
    opened,
    unavailable,
    version_of,
)

if TYPE_CHECKING:
    from mlflow import MlflowClient


@dataclass(frozen=True)
class LoggedRun:
    """What the run of a registered version logged: its parameters, metrics, the paths of
    its files (the top level and the folders asked for) and the contents of those asked."""

    name: str
    version: str
    run_id: str
    params: dict[str, str]
    metrics: dict[str, float]
    paths: frozenset[str]
    files: dict[str, bytes]


def _version_number(client: MlflowClient, name: str, version: str) -> str:
    """``version`` itself, or the number behind an alias (``champion``, ``challenger``).

    Raises:
        NoSuchVersion: ``name`` has no such version.
        NoChampion: no version carries the alias.
    """
    if version in (CHAMPION, CHALLENGER):
        return version_of(client, name, version)
    held = sorted((str(v.version) for v in client.search_model_versions(f"name='{name}'")), key=int)
    if version not in held:
        raise NoSuchVersion(name, version, held)
    return version


def logged_run(
    name: str, version: str, wanted: Sequence[str] = (), tracking_uri: str | None = None
) -> LoggedRun:
    """The run of ``name`` v``version`` (or of the version an alias names), with the files of
    ``wanted`` (artifact paths) that it logged; those it did not are left out.

    Raises:
        NoSuchVersion: ``name`` has no such version.
        NoChampion: no version carries the alias asked for.
        RegistryUnavailable: the store or the files cannot be read.
    """
    import mlflow.artifacts

    folders = {"", *(Path(p).parent.as_posix() for p in wanted)} - {"."}
    try:
        with opened(tracking_uri) as client, tempfile.TemporaryDirectory() as tmp:
            number = _version_number(client, name, version)
            run_id = client.get_model_version(name, number).run_id or ""
            run = client.get_run(run_id)
            paths = frozenset(
                a.path for f in folders for a in client.list_artifacts(run_id, f or None)
            )
            files = {
                p: Path(
                    mlflow.artifacts.download_artifacts(
                        run_id=run_id, artifact_path=p, dst_path=tmp
                    )
                ).read_bytes()
                for p in wanted
                if p in paths
            }
    except RegistryError:
        raise
    except Exception as exc:
        raise unavailable(exc) from exc
    params, metrics = dict(run.data.params), dict(run.data.metrics)
    return LoggedRun(name, number, run_id, params, metrics, paths, files)


def log_texts(run_id: str, texts: Mapping[str, str]) -> None:
    """Write ``texts`` (artifact path to text) into run ``run_id``, ended or not.

    Raises:
        RegistryUnavailable: the store cannot be written.
    """
    from mlflow import MlflowClient

    try:
        client = MlflowClient()
        for path, text in texts.items():
            client.log_text(run_id, text, path)
    except Exception as exc:
        raise unavailable(exc) from exc
