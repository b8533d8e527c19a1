"""Writing the files (CSV or Parquet, chunk by chunk) and ``generate()``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

from segmart.contract import contract
from segmart.generate.chunk import _chunk
from segmart.generate.core import _S_WORLD, CHUNK_SIZE, _join, _rng
from segmart.generate.messy import _messify
from segmart.generate.shape import DEFAULT_SHAPE, get_shape
from segmart.generate.world import (
    _build_world,
    _campaigns_table,
    _fx_table,
    _products_table,
)

_NEEDS_QUOTES = r'[",\r\n]|^\s|\s$'


def _may_need_quotes(a: pa.Array) -> bool:
    """Cheap test on the raw bytes: False when no value can need quoting."""
    data = a.buffers()[2]
    if data is None:
        return False
    raw = memoryview(data).tobytes()
    return any(ch in raw for ch in (b",", b'"', b"\n", b"\r", b" ", b"\t"))


def _csv_bytes(arrays: Sequence[pa.Array]) -> memoryview:
    """Rows as CSV text (RFC 4180; quotes only where needed; null = empty)."""
    fields = []
    for a in arrays:
        a = pc.fill_null(a, "")
        if isinstance(a, pa.ChunkedArray):
            a = a.combine_chunks()
        if not _may_need_quotes(a):
            fields.append(a)
            continue
        needs = pc.match_substring_regex(a, _NEEDS_QUOTES)
        if pc.any(needs).as_py():
            quoted = _join('"', pc.replace_substring(a, '"', '""'), '"')
            a = pc.if_else(needs, quoted, a)
        fields.append(a)
    line = pc.binary_join_element_wise(*fields, ",")
    line = pc.binary_join_element_wise(line, "", "\n")
    if isinstance(line, pa.ChunkedArray):
        line = line.combine_chunks()
    offsets = np.frombuffer(line.buffers()[1], dtype=np.int32)
    lo, hi = int(offsets[line.offset]), int(offsets[line.offset + len(line)])
    return memoryview(line.buffers()[2])[lo:hi]


class _Sink:
    """One output file, written chunk by chunk to a temporary name."""

    def __init__(self, out_dir: Path, name: str, columns: Sequence[str], fmt: str):
        self.columns = tuple(columns)
        self.path = out_dir / f"{name}.{fmt}"
        self.tmp = out_dir / f".{name}.{fmt}.partial"
        self.fmt = fmt
        self.rows = 0
        self._csv: IO[bytes] | None = None
        self._pq: pq.ParquetWriter | None = None
        schema = pa.schema([(c, pa.string()) for c in self.columns])
        if fmt == "csv":
            self._csv = open(self.tmp, "wb")
            self._csv.write((",".join(self.columns) + "\n").encode())
        else:
            self._pq = pq.ParquetWriter(self.tmp, schema, compression="zstd")
        self.schema = schema

    def write(self, cols: dict[str, pa.Array]) -> None:
        if tuple(cols) != self.columns:
            raise ValueError(f"{self.path.name}: columns {tuple(cols)} != contract")
        n = len(cols[self.columns[0]])
        if n == 0:
            return
        arrays = [cols[c] for c in self.columns]
        if self._csv is not None:
            self._csv.write(_csv_bytes(arrays))
        elif self._pq is not None:
            self._pq.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self.rows += n

    def close(self) -> None:
        if self._csv is not None:
            self._csv.close()
        if self._pq is not None:
            self._pq.close()

    def commit(self) -> None:
        self.tmp.replace(self.path)
        other = "parquet" if self.fmt == "csv" else "csv"
        self.path.with_name(f"{self.path.stem}.{other}").unlink(missing_ok=True)


def generate(
    out_dir: Path,
    customers: int,
    seed: int,
    messy: float = 0.0,
    end_date: date = date(2026, 6, 30),
    fmt: str = "csv",
    progress: bool = True,
    shape: str = DEFAULT_SHAPE,
) -> dict[str, int]:
    """Write demo exports for every contract file; return rows written per file.

    ``customers`` people (identities) are generated in chunks of ``CHUNK_SIZE``;
    ``messy`` is the share of rows given a defect; ``end_date`` is the last day of
    activity; ``shape`` names a row of ``shop_shapes.csv`` (``shapes()``), the kind
    of shop. See the module docstring for the model.
    """
    return _generate(
        out_dir, customers, seed, messy, end_date, fmt, progress, shape=shape
    )


def _generate(
    out_dir: Path,
    customers: int,
    seed: int,
    messy: float,
    end_date: date,
    fmt: str,
    progress: bool,
    chunk_size: int = CHUNK_SIZE,
    shape: str = DEFAULT_SHAPE,
) -> dict[str, int]:
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    shape_row = get_shape(shape)
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if not 0.0 <= messy < 1.0:
        raise ValueError("messy must be in [0, 1)")
    if isinstance(end_date, datetime):
        end_date = end_date.date()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = contract()
    world = _build_world(seed, end_date, shape_row)
    sinks: dict[str, _Sink] = {}
    names = list(spec)
    try:
        for name, f in spec.items():
            sinks[name] = _Sink(out_dir, name, f.columns, fmt)
        for name, cols in (
            ("products", _products_table(world)),
            ("campaigns", _campaigns_table(world)),
            ("fx_rates", _fx_table(world)),
        ):
            if messy > 0:
                r = _rng(seed, _S_WORLD, 1000 + names.index(name))
                cols = _messify(name, cols, {}, messy, r, world.fmt)
            sinks[name].write(cols)
        n_chunks = -(-customers // chunk_size)
        bar = tqdm(
            total=customers,
            disable=not progress,
            file=sys.stderr,
            unit="customer",
            unit_scale=True,
            desc="segmart generate",
        )
        with bar:
            for k in range(n_chunks):
                lo = k * chunk_size
                n = min(chunk_size, customers - lo)
                for name, cols in _chunk(world, k, lo, n, messy).items():
                    sinks[name].write(cols)
                bar.update(n)
    except BaseException:
        for s in sinks.values():
            s.close()
            s.tmp.unlink(missing_ok=True)
        raise
    for s in sinks.values():
        s.close()
        s.commit()
    return {name: sinks[name].rows for name in spec}
