"""The service's ledger snapshot in a file: written once per ledger version, read by every
process that starts on that version instead of the database.

A server reading a million invoices from SQLite and fitting the features on them took
~59 s before its first answer; each worker process did it again and held its own copy.
Once a process holds the snapshot of version *V*, it writes it here (in the background,
atomically: a temporary file renamed), and a process starting while the database is still
at *V* maps the file (``mmap``) and unpickles it in about a second.

The file is an Arrow IPC file whose record batches hold one binary value each: first a
pickle (protocol 5) of the ledger and its fitted :class:`~features.pipeline.FeatureBuilder`,
then every numeric array of both, out of band. Pickle, not Arrow tables, because the
frames must come back exactly as :func:`ledger.storage.load_ledger` gives them (object
text with None, nullable ``Int64`` cents, ``x_*`` columns of any JSON type) and the fitted
builder is arbitrary Python state. The numeric arrays come back as views of the mapped
file, not copies: the worker processes share one copy of them, the kernel's page cache.
The mapping is private (copy on write), so an array written to is copied, never the file.
Text is interned before pickling (equal strings made one object), so that the pickle
holds each distinct id once: unpickling 1 M repeated client ids took 13 ms so, 76 ms not.

A file is found by its name, which carries the ledger version and a digest of what the
version means (the ``at`` of its row in ``ledger_changes``, unique to one database's
history) and of the code that pickled it (the ``features`` sources, the library
versions): a file of another database or another release of encours is never found. A
file that cannot be read is logged, removed, and the database is read instead.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import mmap
import os
import pickle
import platform
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Engine, select

from features import pipeline
from features.pipeline import FeatureBuilder
from ledger import contract
from ledger.contract import Ledger
from ledger.schema import LEDGER_CHANGES, LEDGER_VERSION

logger = logging.getLogger("encours.api")

FORMAT = "encours-snapshot/1"
SUFFIX = ".arrow"
KEEP = 2
"""Files kept in the folder: the latest and the one before (a process may still be
starting on it)."""
ALIGN = 64
"""Each array starts on a multiple of this many bytes of the file, as Arrow's own buffers."""
STALE_TEMP_SECONDS = 3600.0
"""A temporary file older than this was left by a process that died while writing it."""


class SnapshotFileError(Exception):
    """A snapshot file that cannot be read as one (truncated, altered, of another format)."""


@dataclass(frozen=True)
class Stamp:
    """A ledger version and what identifies it: when it was made (None: version 0)."""

    version: int
    made_at: str


def read_stamp(engine: Engine) -> Stamp:
    """The ledger's version now, with the time its change row was written."""
    with engine.connect() as connection:
        version = int(
            connection.execute(
                select(LEDGER_VERSION.c.version).where(LEDGER_VERSION.c.id == 1)
            ).scalar()
            or 0
        )
        made = connection.execute(
            select(LEDGER_CHANGES.c.at).where(LEDGER_CHANGES.c.version == version)
        ).scalar()
    return Stamp(version, "" if made is None else str(made))


@cache
def code_fingerprint() -> str:
    """A digest of what a pickled snapshot depends on: the ``features`` sources, this
    module, the Python, numpy, pandas and pyarrow versions."""
    digest = hashlib.sha256(FORMAT.encode())
    for library in (platform.python_version(), np.__version__, pd.__version__, pa.__version__):
        digest.update(library.encode())
    sources = sorted(Path(pipeline.__file__).parent.glob("*.py"))
    for source in [*sources, Path(__file__), Path(contract.__file__)]:
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def file_name(stamp: Stamp) -> str:
    """The snapshot file of ``stamp`` written by this code: ``ledger-v<version>-<digest>``."""
    key = f"{stamp.version}|{stamp.made_at}|{code_fingerprint()}"
    return f"ledger-v{stamp.version}-{hashlib.sha256(key.encode()).hexdigest()[:16]}{SUFFIX}"


# --- strings made one object per distinct value ------------------------------------------


def _interned(values: np.ndarray, pool: dict[str, str]) -> np.ndarray:
    """``values`` (objects) with each string replaced by the pool's equal one (added if
    new); a column holding anything but strings and missing values is left as it is (a
    hash table would take ``True`` for ``1``)."""
    if pd.api.types.infer_dtype(values, skipna=True) != "string":
        return values
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    shared = np.array([pool.setdefault(v, v) for v in distinct] + [None], dtype=object)
    out = shared[codes]
    missing = codes == -1
    if missing.any():
        out[missing] = values[missing]  # None stays None, NaN stays NaN
    return out


def interned_ledger(ledger: Ledger) -> Ledger:
    """``ledger`` whose equal strings are one object (new frames; ``ledger`` unchanged).

    Invoices come first, so that their ids keep the very objects the fitted builder's
    index holds, and pickle writes those once too.
    """
    pool: dict[str, str] = {}
    tables = ledger.tables()
    order = ["invoices", *[name for name in tables if name != "invoices"]]
    out: dict[str, pd.DataFrame] = {}
    for name in order:
        frame = tables[name]
        text = [c for c in frame.columns if frame[c].dtype == object]
        replaced = {
            c: pd.Series(_interned(frame[c].to_numpy(), pool), index=frame.index, dtype=object)
            for c in text
        }
        out[name] = frame.assign(**replaced) if replaced else frame
    return dataclasses.replace(ledger, **out)


# --- the file ----------------------------------------------------------------------------


def _binary(data: memoryview) -> pa.RecordBatch:
    """One record batch holding ``data`` as its one binary value, not copied."""
    offsets = pa.py_buffer(np.array([0, data.nbytes], dtype=np.int64))
    array = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)]
    )
    return pa.RecordBatch.from_arrays([array], names=["data"])


def write_file(path: Path, stamp: Stamp, ledger: Ledger, features: FeatureBuilder) -> int:
    """Write the snapshot of ``stamp`` to ``path`` atomically; the bytes written."""
    buffers: list[pickle.PickleBuffer] = []
    stream = pickle.dumps(
        (interned_ledger(ledger), features), protocol=5, buffer_callback=buffers.append
    )
    meta = {
        "format": FORMAT,
        "version": str(stamp.version),
        "made_at": stamp.made_at,
        "code": code_fingerprint(),
        "crc": str(zlib.crc32(stream)),
        "buffers": str(len(buffers)),
    }
    schema = pa.schema([("data", pa.large_binary())], metadata=meta)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with pa.OSFile(str(temp), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
            writer.write_batch(_binary(memoryview(stream)))
            for buffer in buffers:
                writer.write_batch(_binary(buffer.raw()))
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return path.stat().st_size


def _values(mapped: mmap.mmap, path: Path) -> tuple[dict[bytes, bytes], Iterator[memoryview]]:
    """The file's metadata and its values, as views of ``mapped`` (copy-on-write pages)."""
    whole = memoryview(mapped)
    base = pa.py_buffer(whole).address
    reader = pa.ipc.open_file(pa.py_buffer(whole))
    meta = reader.schema.metadata or {}

    def values() -> Iterator[memoryview]:
        for i in range(reader.num_record_batches):
            column = reader.get_batch(i).column(0)
            if len(column) != 1 or column.null_count:
                raise SnapshotFileError(f"{path.name}: batch {i} is not one value")
            offsets = np.frombuffer(column.buffers()[1], dtype=np.int64)[:2]
            start = column.buffers()[2].address - base + int(offsets[0])
            yield whole[start : start + int(offsets[1] - offsets[0])]

    return meta, values()


def read_file(path: Path, stamp: Stamp) -> tuple[Ledger, FeatureBuilder]:
    """The ledger and fitted builder in ``path``, which must be ``stamp``'s.

    Raises:
        SnapshotFileError: the file is not a snapshot of ``stamp`` written by this code.
        OSError: it cannot be opened.
    """
    with path.open("rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_COPY)
    try:
        meta, values = _values(mapped, path)
        expected = {
            b"format": FORMAT,
            b"version": str(stamp.version),
            b"made_at": stamp.made_at,
            b"code": code_fingerprint(),
        }
        for key, value in expected.items():
            if meta.get(key, b"").decode() != value:
                raise SnapshotFileError(f"{path.name}: {key.decode()} is not {value!r}")
        stream = next(values)
        if zlib.crc32(stream) != int(meta[b"crc"]):
            raise SnapshotFileError(f"{path.name}: the pickle's checksum differs")
        buffers = list(values)
        if len(buffers) != int(meta[b"buffers"]):
            raise SnapshotFileError(f"{path.name}: {len(buffers)} arrays, not {meta[b'buffers']!r}")
        ledger, builder = pickle.loads(stream, buffers=buffers)
    except (pa.ArrowException, pickle.UnpicklingError, StopIteration, ValueError) as exc:
        raise SnapshotFileError(f"{path.name}: {exc}") from exc
    if not isinstance(ledger, Ledger) or not isinstance(builder, FeatureBuilder):
        raise SnapshotFileError(f"{path.name}: holds no ledger and feature builder")
    return ledger, builder


def _modified(path: Path) -> float:
    """When ``path`` was last written (0 for a file removed meanwhile by another process)."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


# --- the folder --------------------------------------------------------------------------


@dataclass
class SnapshotFiles:
    """The folder of snapshot files one database's service processes share.

    ``reads`` and ``writes`` count the files this process read and wrote (for tests and
    the logs).
    """

    folder: Path
    reads: int = 0
    writes: int = 0

    def path(self, stamp: Stamp) -> Path:
        """Where the file of ``stamp`` is (or would be)."""
        return self.folder / file_name(stamp)

    def read(self, stamp: Stamp) -> tuple[Ledger, FeatureBuilder] | None:
        """The snapshot of ``stamp`` from its file; None when there is none or it cannot be
        read (logged, and the broken file removed)."""
        path = self.path(stamp)
        if not path.exists():
            return None
        started = time.perf_counter()
        try:
            found = read_file(path, stamp)
        except (SnapshotFileError, OSError) as exc:
            logger.warning("snapshot file not used, the database is read instead: %s", exc)
            path.unlink(missing_ok=True)
            return None
        self.reads += 1
        logger.info(
            "ledger version %s read from the snapshot file %s in %.2f s",
            stamp.version,
            path.name,
            time.perf_counter() - started,
        )
        return found

    def write(self, stamp: Stamp, ledger: Ledger, features: FeatureBuilder) -> Path | None:
        """Write the snapshot of ``stamp`` unless its file exists, then remove old files;
        the file, None when none was written (a failure is logged, never raised)."""
        path = self.path(stamp)
        if path.exists():
            return None
        started = time.perf_counter()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            size = write_file(path, stamp, ledger, features)
        except Exception:  # a full disk, a folder not writable: the service goes on
            logger.warning("could not write the snapshot file %s", path, exc_info=True)
            return None
        self.writes += 1
        logger.info(
            "ledger version %s written to the snapshot file %s (%.0f MB) in %.1f s",
            stamp.version,
            path.name,
            size / 1e6,
            time.perf_counter() - started,
        )
        self.prune(keep=path)
        return path

    def prune(self, keep: Path) -> None:
        """Remove all but the :data:`KEEP` latest files (``keep`` always kept), and
        temporary files left by a process that died writing."""
        files = sorted(
            (p for p in self.folder.glob(f"ledger-v*{SUFFIX}") if p != keep),
            key=_modified,
            reverse=True,
        )
        now = time.time()
        left = [
            p for p in self.folder.glob(".ledger-v*.tmp") if now - _modified(p) > STALE_TEMP_SECONDS
        ]
        for path in [*files[KEEP - 1 :], *left]:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                logger.warning("could not remove the old snapshot file %s", path, exc_info=True)
