"""The service's ledger snapshot in a file: written once per ledger version, read by every
process that starts on that version instead of the database.

A server reading a million invoices from SQLite and fitting the features on them took
~59 s before its first answer; each worker process did it again and held its own copy.
Once a process holds the snapshot of version *V*, it writes it here (in the background,
atomically: a temporary file renamed), and a process starting while the database is still
at *V* maps the file (``mmap``) and unpickles it: at 1,111,985 invoices about 1 s of CPU
(0.9-1.3 s measured on the shared machine) against ~13 s to read and fit, and the worker's
private memory 0.5 GB against 1.9 GB (0.3 GB shared beside it).

The file is an Arrow IPC file whose record batches hold one binary value each: first a
pickle (protocol 5) of the ledger and its fitted :class:`~features.pipeline.FeatureBuilder`,
then every numeric array of both, out of band. Pickle, not Arrow tables, because the
frames must come back exactly as :func:`ledger.storage.load_ledger` gives them (object
text with None, nullable ``Int64`` cents, ``x_*`` columns of any JSON type) and the fitted
builder is arbitrary Python state. The numeric arrays come back as views of the mapped
file, not copies: the worker processes share one copy of them, the kernel's page cache.
The mapping is private (copy on write), so an array written to is copied, never the file.
Text is kept apart: every distinct string once, as Arrow text, and each array of text as
codes into it (:class:`_TextPickler`).

A file is found by its name, which carries the ledger version and a digest of what the
version means (the ``at`` of its row in ``ledger_changes``, unique to one database's
history) and of the code that pickled it (the ``features`` sources, the library
versions): a file of another database or another release of encours is never found. A
file that cannot be read is logged, removed, and the database is read instead. Being a
pickle, a file is trusted as the MLflow store's models are (cloudpickles too): the folder
must be writable by the service alone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import logging
import math
import mmap
import os
import pickle
import platform
import time
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

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
STALE_TEMP_SECONDS = 3600.0
"""A temporary file older than this was left by a process that died while writing it."""


class SnapshotFileError(Exception):
    """A snapshot file that cannot be read as one (truncated, altered, of another format)."""


@dataclass(frozen=True)
class Stamp:
    """A ledger version and what identifies it: when it was made (empty: version 0)."""

    version: int
    made_at: str


def read_stamp(engine: Engine, version: int | None = None) -> Stamp:
    """The ledger's version now (or ``version``), with the time its change row was written."""
    with engine.connect() as connection:
        if version is None:
            version = int(
                connection.execute(
                    select(LEDGER_VERSION.c.version).where(LEDGER_VERSION.c.id == 1)
                ).scalar()
                or 0
            )
        made = connection.execute(
            select(LEDGER_CHANGES.c.at).where(LEDGER_CHANGES.c.version == version)
        ).scalar()
    if isinstance(made, dt.datetime) and made.tzinfo is not None:
        made = made.astimezone(dt.UTC)  # PostgreSQL's in the session's time zone
    return Stamp(version, "" if made is None else made.isoformat())


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


# --- text: every distinct string stored once, as Arrow text -------------------------------


def text_codes(
    values: np.ndarray, table: dict[str, int]
) -> tuple[np.ndarray, tuple[int, ...], str] | None:
    """An object array of strings and None as codes into ``table`` (the distinct strings
    met so far by code, added to), its shape and order; None for an array holding anything
    else (numbers, NaN: a hash table would take ``True`` for ``1``), pickled as it is."""
    order: Literal["C", "F"] = (
        "F" if values.flags.f_contiguous and not values.flags.c_contiguous else "C"
    )
    flat = values.ravel(order=order)
    if pd.api.types.infer_dtype(flat, skipna=True) != "string":
        return None
    local, distinct = pd.factorize(flat, use_na_sentinel=True)
    missing = local == -1
    if missing.any() and any(value is not None for value in flat[missing]):
        return None
    codes = np.array([table.setdefault(s, len(table)) for s in distinct] + [-1], dtype=np.int32)
    return codes[local], values.shape, order


class _TextPickler(pickle.Pickler):
    """Pickles each array of text as codes into one table of distinct strings, which the
    file holds apart as Arrow text: a million ids become Python strings ~2x as fast so
    (55 ns each, against 105 ns unpickled), and an id met in several tables (a client's,
    an invoice's) is one string in memory."""

    def __init__(self, file: io.BytesIO, buffers: list[pickle.PickleBuffer]) -> None:
        super().__init__(file, protocol=5, buffer_callback=buffers.append)
        self.table: dict[str, int] = {}

    def persistent_id(self, obj: object) -> object:
        if type(obj) is not np.ndarray or obj.dtype != object or obj.size == 0:
            return None
        encoded = text_codes(obj, self.table)
        return None if encoded is None else ("text", *encoded)


class _TextUnpickler(pickle.Unpickler):
    """Reads what :class:`_TextPickler` wrote, given the table of strings (None last)."""

    def __init__(self, stream: memoryview, buffers: list[memoryview], strings: np.ndarray):
        super().__init__(io.BytesIO(stream), buffers=buffers)
        self.strings = strings

    def persistent_load(self, pid: object) -> np.ndarray:
        if not (isinstance(pid, tuple) and len(pid) == 4 and pid[0] == "text"):
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r:.40}")
        _, codes, shape, order = pid
        return self.strings[codes].reshape(shape, order=order)


def _strings(table: dict[str, int]) -> tuple[memoryview, memoryview]:
    """The table's strings in code order as Arrow text: its offsets and its UTF-8 bytes."""
    text = pa.array(list(table), type=pa.large_string())
    _, offsets, data = text.buffers()
    empty = memoryview(b"")
    return memoryview(offsets) if offsets else empty, memoryview(data) if data else empty


def _strings_read(count: int, offsets: memoryview, data: memoryview) -> np.ndarray:
    """The table of strings from its Arrow buffers, checked, with None after the last (the
    code -1 of a missing value)."""
    text = pa.LargeStringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(data))
    text.validate(full=True)  # offsets within the bytes, valid UTF-8
    strings = np.empty(count + 1, dtype=object)
    strings[:count] = text.to_numpy(zero_copy_only=False)
    return strings


# --- the file ----------------------------------------------------------------------------


def checksum(*values: memoryview) -> int:
    """CRC-32 of ``values`` in turn: the pickle and the strings (~70 MB for a million
    invoices, ~50 ms). The arrays are left out (~500 MB): a file cut short fails Arrow's
    own check of its footer, and a file is never seen half-written (renamed once whole)."""
    crc = 0
    for value in values:
        crc = zlib.crc32(value, crc)
    return crc


def _binary(data: memoryview) -> pa.RecordBatch:
    """One record batch holding ``data`` as its one binary value, not copied."""
    offsets = pa.py_buffer(np.array([0, data.nbytes], dtype=np.int64))
    array = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)]
    )
    return pa.RecordBatch.from_arrays([array], names=["data"])


def write_file(path: Path, stamp: Stamp, ledger: Ledger, features: FeatureBuilder) -> int:
    """Write the snapshot of ``stamp`` to ``path`` atomically; the bytes written.

    Its values: the pickle, the strings' offsets and bytes, then the arrays out of band.
    """
    buffers: list[pickle.PickleBuffer] = []
    sink = io.BytesIO()
    pickler = _TextPickler(sink, buffers)
    pickler.dump((ledger, features))
    stream = sink.getbuffer()
    strings = _strings(pickler.table)
    meta = {
        "format": FORMAT,
        "version": str(stamp.version),
        "made_at": stamp.made_at,
        "code": code_fingerprint(),
        "crc": str(checksum(stream, *strings)),
        "strings": str(len(pickler.table)),
        "buffers": str(len(buffers)),
    }
    values = [stream, *strings, *(buffer.raw() for buffer in buffers)]
    schema = pa.schema([("data", pa.large_binary())], metadata=meta)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with pa.OSFile(str(temp), "wb") as out, pa.ipc.new_file(out, schema) as writer:
            for value in values:
                writer.write_batch(_binary(value))
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return path.stat().st_size


def _values(mapped: mmap.mmap, path: Path) -> tuple[dict[bytes, bytes], list[memoryview]]:
    """The file's metadata and its values, as views of ``mapped`` (copy-on-write pages)."""
    whole = memoryview(mapped)
    base = pa.py_buffer(whole).address
    reader = pa.ipc.open_file(pa.py_buffer(whole))
    values = []
    for i in range(reader.num_record_batches):
        column = reader.get_batch(i).column(0)
        if len(column) != 1 or column.null_count:
            raise SnapshotFileError(f"{path.name}: batch {i} is not one value")
        _, offsets, data = column.buffers()
        start, end = np.frombuffer(offsets, dtype=np.int64)[:2]
        at = (data.address - base if data is not None else 0) + int(start)
        values.append(whole[at : at + int(end - start)])
    return reader.schema.metadata or {}, values


def _checked(meta: dict[bytes, bytes], stamp: Stamp, path: Path) -> None:
    """Raise unless ``meta`` is that of a file of ``stamp`` written by this code."""
    expected = {
        b"format": FORMAT,
        b"version": str(stamp.version),
        b"made_at": stamp.made_at,
        b"code": code_fingerprint(),
    }
    for key, value in expected.items():
        if meta.get(key, b"").decode() != value:
            raise SnapshotFileError(f"{path.name}: {key.decode()} is not {value!r}")


def read_file(path: Path, stamp: Stamp) -> tuple[Ledger, FeatureBuilder]:
    """The ledger and fitted builder in ``path``, which must be ``stamp``'s.

    Raises:
        SnapshotFileError: the file is not a snapshot of ``stamp`` written by this code
            (or is empty).
        OSError: it cannot be opened.
    """
    try:
        with path.open("rb") as handle:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_COPY)
        meta, values = _values(mapped, path)
        _checked(meta, stamp, path)
        if len(values) != 3 + int(meta[b"buffers"]):
            raise SnapshotFileError(
                f"{path.name}: {len(values) - 3} arrays, not {meta[b'buffers']!r}"
            )
        stream, offsets, data, *buffers = values
        if checksum(stream, offsets, data) != int(meta[b"crc"]):
            raise SnapshotFileError(f"{path.name}: the pickle's or the strings' checksum differs")
        strings = _strings_read(int(meta[b"strings"]), offsets, data)
        ledger, builder = _TextUnpickler(stream, buffers, strings).load()
    except (pa.ArrowException, pickle.UnpicklingError, KeyError, ValueError, EOFError) as exc:
        raise SnapshotFileError(f"{path.name}: {exc}") from exc
    if not isinstance(ledger, Ledger) or not isinstance(builder, FeatureBuilder):
        raise SnapshotFileError(f"{path.name}: holds no ledger and feature builder")
    return ledger, builder


def _version(path: Path) -> int:
    """The ledger version in a snapshot file's name (-1 for a name not of this module)."""
    number = path.name.removeprefix("ledger-v").split("-", 1)[0]
    return int(number) if number.isdigit() else -1


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
    the logs). A snapshot refreshed client by client is written only when this process
    wrote none for ``refresh_write_seconds``: at a million invoices a file costs ~10 s of
    CPU to write, and collectors' actions may change the ledger at every refresh; a start
    reads the latest file and the clients changed since.
    """

    folder: Path
    refresh_write_seconds: float = 600.0
    reads: int = 0
    writes: int = 0
    written_at: float = -math.inf
    """When this process last wrote a file (``time.monotonic``)."""

    def due(self) -> bool:
        """Whether a refreshed snapshot should be written now."""
        return time.monotonic() - self.written_at >= self.refresh_write_seconds

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
        except Exception as exc:  # whatever is wrong with the file, the database answers
            logger.warning("snapshot file not used, the database is read instead: %s", exc)
            with contextlib.suppress(OSError):
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

    def read_latest_before(
        self, engine: Engine, version: int
    ) -> tuple[Stamp, Ledger, FeatureBuilder] | None:
        """The latest snapshot of ``engine``'s ledger older than ``version`` that has a
        file here, and its stamp; None when there is none (or it cannot be read)."""
        older = sorted(
            {v for p in self.folder.glob(f"ledger-v*{SUFFIX}") if (v := _version(p)) < version},
            reverse=True,
        )
        for candidate in older[:KEEP]:
            stamp = read_stamp(engine, candidate)
            found = self.read(stamp)
            if found is not None:
                return stamp, *found
        return None

    def write(self, stamp: Stamp, ledger: Ledger, features: FeatureBuilder) -> Path | None:
        """Write the snapshot of ``stamp`` unless its file exists, then remove old files;
        the file, None when none was written (a failure is logged, never raised)."""
        path = self.path(stamp)
        if path.exists() or self._being_written(path):
            return None
        started = time.perf_counter()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            size = write_file(path, stamp, ledger, features)
        except Exception:  # a full disk, a folder not writable: the service goes on
            logger.warning("could not write the snapshot file %s", path, exc_info=True)
            return None
        self.writes += 1
        self.written_at = time.monotonic()
        logger.info(
            "ledger version %s written to the snapshot file %s (%.0f MB) in %.1f s",
            stamp.version,
            path.name,
            size / 1e6,
            time.perf_counter() - started,
        )
        self.prune(keep=path)
        return path

    def _being_written(self, path: Path) -> bool:
        """Whether another process is writing ``path`` now (its temporary file is fresh):
        worker processes started together read the database each, but write it once."""
        now = time.time()
        temps = self.folder.glob(f".{path.name}.*.tmp") if self.folder.exists() else []
        return any(now - _modified(temp) < STALE_TEMP_SECONDS for temp in temps)

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
