"""Writer of the distancier (:mod:`proximite.analysis.distancier`)."""

from __future__ import annotations

from pathlib import Path

from proximite.analysis.distancier import Distancier


def write_distancier(result: Distancier, out_dir: str | Path, stem: str = "distancier"
                     ) -> list[Path]:
    """Write ``<stem>.csv`` and ``<stem>.parquet`` (and the note) in ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path = out / f"{stem}.csv", out / f"{stem}.parquet"
    result.matrix.to_csv(csv_path, index=False)
    result.matrix.to_parquet(parquet_path, index=False)
    note_path = out / f"{stem}_lisez-moi.txt"
    note_path.write_text(result.note + "\n", encoding="utf-8")
    return [csv_path, parquet_path, note_path]
