"""Issue 10: outputs that can be trusted. A run writes aside and swaps its folder in at the
end (an interruption or a full disk leaves the previous outputs), one run at a time per
folder (a lock), an unwritable --out is one line, and `serve --diagnostic` refuses a folder
whose files come from different runs."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from proximite.cli import app
from proximite.errors import InputError, ProximiteError
from proximite.outdir import MANIFEST_NAME, atomic_output_dir, output_lock
from proximite.outputs import write_outputs
from proximite.pipeline import DiagnosticResult
from proximite.saved import load_diagnostic

runner = CliRunner()


@pytest.fixture(scope="module")
def demo(real_demo_result: DiagnosticResult) -> DiagnosticResult:
    return real_demo_result


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def _previous(folder: Path) -> dict[str, str]:
    """A folder of older outputs (written before manifests: names the diagnostic writes)."""
    folder.mkdir()
    (folder / "diagnostic.gpkg").write_bytes(b"previous run")
    (folder / "communes.csv").write_text("code_insee\n48095\n", encoding="utf-8")
    return _digests(folder)


def test_outputs_are_swapped_in_whole_with_a_manifest(demo, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _previous(out)
    written = write_outputs(demo, out, report=False)
    assert set(written.values()) <= set(out.iterdir())
    assert (out / MANIFEST_NAME).exists()
    assert not (out / "communes.csv").read_text(encoding="utf-8").startswith("code_insee\n4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temp left


def test_full_disk_leaves_the_previous_outputs(demo, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import pyogrio  # every GeoPackage layer goes through it (proximite.saved.write_layer)

    out = tmp_path / "out"
    before = _previous(out)
    real = pyogrio.write_dataframe
    calls = []

    def full_disk(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(pyogrio, "write_dataframe", full_disk)
    with pytest.raises(ProximiteError) as error:
        write_outputs(demo, out, report=False)
    assert str(error.value) == (f"--out {out} : écriture impossible (disque plein) : les "
                                f"résultats précédents de {out} sont intacts")
    assert _digests(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_gdal_error_on_a_nearly_full_disk_is_put_down_to_the_disk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import proximite.outdir as outdir

    monkeypatch.setattr(outdir, "_free_bytes", lambda path: 300 * 1024)
    message = (r"écriture impossible \(disque plein : 300 Kio libres ; RuntimeError: Failed "
               r"to commit transaction\) : .* n'a pas été créé")
    with pytest.raises(ProximiteError, match=message), \
            atomic_output_dir(tmp_path / "new", command="diagnostic", patterns=()):
        raise RuntimeError("Failed to commit transaction")
    assert not (tmp_path / "new").exists()


def test_unwritable_out_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(app, ["diagnostic", "--out", "/proc/self"])
    assert result.exit_code == 2
    assert result.output.strip().endswith("Erreur : --out /proc/self : écriture impossible "
                                          "(chemin introuvable)")
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["plan", "--out", "/proc/self/plan"])
    assert result.exit_code == 2
    assert "Erreur : --out /proc/self/plan : écriture impossible" in result.output
    assert "Traceback" not in result.output

    def refused(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(Path, "mkdir", refused)  # a read-only folder, even for root
    result = runner.invoke(app, ["diagnostic", "--out", str(tmp_path / "ro")])
    assert result.exit_code == 2
    assert f"--out {tmp_path / 'ro'} : écriture impossible (permission refusée)" in \
        result.output


def test_a_folder_of_other_files_is_not_replaced(tmp_path: Path) -> None:
    (tmp_path / "thesis.docx").write_bytes(b"years of work")
    result = runner.invoke(app, ["diagnostic", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "ne viennent pas de « proximite diagnostic » (thesis.docx)" in result.output
    assert (tmp_path / "thesis.docx").read_bytes() == b"years of work"


def test_sigint_leaves_the_previous_outputs_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "out"
    before = _previous(out)
    process = subprocess.Popen(
        [sys.executable, "-c", "from proximite.cli import app; app()", "diagnostic",
         "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "200"})
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".out.tmp-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob(".out.tmp-*")), "the run never started writing aside"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert (f"Interrompu : interrompu avant la fin de l'écriture : les résultats précédents "
            f"de {out} sont intacts") in " ".join(stderr.split())
    assert "Traceback" not in stderr
    assert _digests(out) == before
    assert not list(tmp_path.glob(".out.tmp-*"))


def test_a_second_run_into_the_same_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from proximite.outdir import output_lock\n"
         "with output_lock(Path(sys.argv[1])):\n print('locked', flush=True); time.sleep(60)",
         str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        result = runner.invoke(app, ["diagnostic", "--out", str(out)])
        assert result.exit_code == 2
        assert (f"--out {out} : un autre calcul Proximité écrit déjà dans ce dossier "
                f"(processus {holder.pid}, verrou") in " ".join(result.output.split())
        assert not out.exists()
    finally:
        holder.kill()
        holder.wait()
    with output_lock(out):  # released with its process
        pass


def test_diagnostic_folder_mixing_two_runs_is_refused(demo, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write_outputs(demo, first, report=False)
    write_outputs(demo, second, report=False)
    load_diagnostic(first)  # consistent: accepted
    mixed = tmp_path / "mixed"
    shutil.copytree(first, mixed)
    shutil.copy(second / "diagnostic.gpkg", mixed / "diagnostic.gpkg")
    with pytest.raises(InputError, match=r"mixed: diagnostic\.gpkg vient du calcul \S+, le "
                       r"dossier du calcul \S+ : fichiers de calculs différents"):
        load_diagnostic(mixed)
    shutil.copy(first / "diagnostic.gpkg", mixed / "diagnostic.gpkg")
    (mixed / "access_times.csv").write_text("edited\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"fichiers qui ne viennent pas du calcul \S+ : "
                       r"access_times\.csv \(modifié ou absent\)"):
        load_diagnostic(mixed)
    (mixed / MANIFEST_NAME).unlink()
    with pytest.raises(InputError, match=f"pas de {MANIFEST_NAME}"):
        load_diagnostic(mixed)
    result = runner.invoke(app, ["serve", "--diagnostic", str(mixed)])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_reading_a_run_folder_checks_sizes_and_reads_no_file_whole(demo, tmp_path: Path,
                                                                    monkeypatch) -> None:
    """`serve --diagnostic` starts without hashing the folder: the manifest's sizes."""
    import json

    from proximite import outdir

    folder = tmp_path / "run"
    write_outputs(demo, folder, report=False)
    manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["bytes"]["access_times.csv"] == (folder / "access_times.csv").stat().st_size

    def no_hashing(path: Path) -> str:
        raise AssertionError(f"hashed {path}")

    monkeypatch.setattr(outdir, "_sha256", no_hashing)
    load_diagnostic(folder)
    with (folder / "indicators.csv").open("a", encoding="utf-8") as stream:
        stream.write("x\n")
    with pytest.raises(InputError, match=r"indicators\.csv \(modifié ou absent\)"):
        load_diagnostic(folder)
