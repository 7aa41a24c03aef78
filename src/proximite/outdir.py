"""Output folders that can be trusted: written whole or not at all, by one run at a time.

A run writes into a temporary folder beside the target (same file system) and swaps it in
at the end, so an interrupted run (Ctrl-C, a full disk, a crash) leaves the previous
outputs intact, never a partial GeoPackage among older CSV. A lock file beside the target
stops a second run into the same folder while the first one runs. Every folder written
gets a manifest, :data:`MANIFEST_NAME`: the run id (also stored in the GeoPackage's
``run`` layer) and the SHA-256 of every file, so a reader can refuse a folder whose files
come from different runs (:func:`check_run_folder`).

A folder is only replaced when it holds the outputs of the same command (its manifest
says so, or every file has a name that command writes): ``--out`` pointing at a folder of
other files is refused rather than emptied.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fnmatch
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from proximite.errors import InputError, ProximiteError

MANIFEST_NAME = "proximite-run.json"
MANIFEST_VERSION = 1
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
"""Files SQLite (QGIS reading the GeoPackage) may add beside it: not outputs."""
_HELD_LOCKS: set[Path] = set()
_RENAME_EXCHANGE = 2  # linux/fs.h


class RunInterrupted(ProximiteError):
    """The run was stopped (Ctrl-C) before its outputs were swapped in."""


def new_run_id() -> str:
    """A run id: UTC time (readable, sortable) and a random part (unique)."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:12]


def _option_error(option: str, target: Path, exc: OSError) -> ProximiteError:
    reason = {errno.ENOSPC: "disque plein", errno.EDQUOT: "quota disque dépassé",
              errno.EACCES: "permission refusée", errno.EPERM: "opération non permise",
              errno.EROFS: "système de fichiers en lecture seule",
              errno.ENOENT: "chemin introuvable"}.get(exc.errno or 0, exc.strerror or str(exc))
    return ProximiteError(f"{option} {target} : écriture impossible ({reason})")


@contextmanager
def output_lock(target: Path, option: str = "--out") -> Iterator[None]:
    """Hold ``.<name>.lock`` beside ``target``; refuse at once if another run holds it.

    The lock file is removed on release (a failed run leaves nothing behind); a run that
    opened it just before finds, once locked, that the path is no longer its file, and
    tries again. Re-entrant within one process (the CLI takes it before computing, the
    writer again).
    """
    target = Path(os.path.abspath(target))
    lock_path = target.parent / f".{target.name}.lock"
    if lock_path in _HELD_LOCKS:
        yield
        return
    handle = _acquire(lock_path, target, option)
    _HELD_LOCKS.add(lock_path)
    try:
        yield
    finally:
        _HELD_LOCKS.discard(lock_path)
        with contextlib.suppress(OSError):
            lock_path.unlink()
        handle.close()  # releases the flock


def _acquire(lock_path: Path, target: Path, option: str) -> IO[str]:
    import fcntl

    while True:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle = open(lock_path, "a+")  # noqa: SIM115 - held until released
        except OSError as exc:
            raise _option_error(option, target, exc) from exc
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise ProximiteError(
                f"{option} {target} : un autre calcul Proximité écrit déjà dans ce dossier "
                f"(processus {holder}, verrou {lock_path}) ; attendre sa fin ou choisir un "
                "autre dossier") from None
        try:
            same = os.stat(lock_path).st_ino == os.fstat(handle.fileno()).st_ino
        except FileNotFoundError:
            same = False
        if not same:  # removed by the run that held it: lock the new file instead
            handle.close()
            continue
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        return handle


def _check_replaceable(target: Path, command: str, patterns: Iterable[str],
                       option: str) -> None:
    """Refuse to replace a folder that holds anything but this command's outputs."""
    if not target.exists():
        return
    if not target.is_dir():
        raise ProximiteError(f"{option} {target} : c'est un fichier, pas un dossier")
    manifest = _read_manifest(target)
    if manifest is not None:
        if manifest.get("command") != command:
            raise ProximiteError(
                f"{option} {target} : ce dossier contient les résultats de « proximite "
                f"{manifest.get('command')} » ; choisir un autre dossier pour « proximite "
                f"{command} »")
        files = manifest.get("files", {})
        names = set(files if isinstance(files, dict) else {}) | {MANIFEST_NAME}
        foreign = sorted(p.name for p in target.iterdir() if p.name not in names)
    else:
        allowed = list(patterns)
        foreign = sorted(p.name for p in target.iterdir()
                         if p.is_dir() or not any(fnmatch.fnmatch(p.name, a) for a in allowed))
    if foreign:
        raise ProximiteError(
            f"{option} {target} : le dossier contient des fichiers qui ne viennent pas de "
            f"« proximite {command} » ({', '.join(foreign[:5])}) et serait remplacé en "
            "entier ; choisir un dossier vide ou nouveau")


def _swap(source: Path, target: Path) -> None:
    """Put ``source`` at ``target``: an atomic exchange on Linux, two renames elsewhere."""
    if not target.exists():
        os.rename(source, target)
        return
    libc_name = ctypes.util.find_library("c")
    renameat2 = getattr(ctypes.CDLL(libc_name, use_errno=True), "renameat2", None) \
        if libc_name else None
    at_fdcwd = -100
    if renameat2 is not None and renameat2(at_fdcwd, os.fsencode(source), at_fdcwd,
                                           os.fsencode(target), _RENAME_EXCHANGE) == 0:
        shutil.rmtree(source, ignore_errors=True)  # now holds the previous outputs
        return
    previous = source.with_name(source.name + ".previous")
    os.rename(target, previous)
    os.rename(source, target)
    shutil.rmtree(previous, ignore_errors=True)


def _clear_stale(target: Path) -> None:
    """Temporary folders of runs killed without cleaning up (we hold the lock)."""
    for stale in target.parent.glob(f".{target.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


@contextmanager
def atomic_output_dir(target: str | Path, *, command: str, patterns: Iterable[str],
                      option: str = "--out",
                      run_id: str | None = None) -> Iterator[tuple[Path, str]]:
    """Yield ``(temporary folder, run id)``; on success the folder becomes ``target``.

    ``patterns``: the names ``command`` writes (globs), to recognise an older folder of
    its outputs written before manifests. On any failure the temporary folder is removed
    and ``target`` is left as it was; the error names the option and the folder.
    """
    target = Path(os.path.abspath(target))
    run_id = run_id or new_run_id()
    with output_lock(target, option):
        _check_replaceable(target, command, patterns, option)
        _clear_stale(target)
        temporary = target.parent / f".{target.name}.tmp-{run_id}"
        intact = (f"les résultats précédents de {target} sont intacts" if target.exists()
                  else f"{target} n'a pas été créé")
        try:
            temporary.mkdir(parents=True)
        except OSError as exc:
            raise _option_error(option, target, exc) from exc
        try:
            yield temporary, run_id
            write_manifest(temporary, command, run_id)
            _swap(temporary, target)
        except KeyboardInterrupt:
            shutil.rmtree(temporary, ignore_errors=True)
            raise RunInterrupted(f"interrompu avant la fin de l'écriture : {intact}") from None
        except OSError as exc:
            shutil.rmtree(temporary, ignore_errors=True)
            raise ProximiteError(f"{_option_error(option, target, exc)} : {intact}") from exc
        except ProximiteError:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
        except Exception as exc:
            # GDAL reports a full disk as its own error ("Failed to commit transaction")
            free = _free_bytes(temporary)
            shutil.rmtree(temporary, ignore_errors=True)
            if free is not None and free < NEARLY_FULL_BYTES:
                raise ProximiteError(
                    f"{option} {target} : écriture impossible (disque plein : "
                    f"{free // 1024} Kio libres ; {type(exc).__name__}: {exc}) : {intact}"
                ) from exc
            raise


NEARLY_FULL_BYTES = 16 << 20
"""Below this free space, a failed write is put down to a full disk."""


def _free_bytes(path: Path) -> int | None:
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path, command: str, run_id: str) -> None:
    """The manifest of a finished folder: command, run id, every file's SHA-256 (for a
    full verification) and size in bytes (what a reader checks at start: a stat, not a
    read of every file)."""
    paths = [p for p in sorted(folder.iterdir()) if p.is_file() and p.name != MANIFEST_NAME]
    manifest = {"proximite_manifest": MANIFEST_VERSION, "command": command,
                "run_id": run_id, "files": {p.name: _sha256(p) for p in paths},
                "bytes": {p.name: p.stat().st_size for p in paths}}
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1, ensure_ascii=False),
                                        encoding="utf-8")


def _read_manifest(folder: Path) -> dict[str, object] | None:
    path = folder / MANIFEST_NAME
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"manifeste illisible ({exc})", path=path) from exc
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise InputError("manifeste invalide", path=path,
                         expected="le proximite-run.json écrit par Proximité")
    return data


def check_run_folder(folder: Path, run_id: str | None, gpkg_name: str) -> None:
    """Refuse a folder whose files do not all come from the run its manifest names.

    ``run_id``: the one stored in the GeoPackage read from the folder.
    """
    manifest = _read_manifest(folder)
    if manifest is None:
        raise InputError(
            f"pas de {MANIFEST_NAME} : impossible de vérifier que les fichiers viennent d'un "
            "même calcul (dossier copié à la main, ou écrit par une version antérieure)",
            path=folder, expected="le dossier écrit par `proximite diagnostic` (le relancer)")
    expected = str(manifest.get("run_id"))
    if run_id != expected:
        raise InputError(
            f"{gpkg_name} vient du calcul {run_id or 'inconnu'}, le dossier du calcul "
            f"{expected} : fichiers de calculs différents", path=folder,
            expected="les fichiers d'un seul calcul (relancer `proximite diagnostic`)")
    files: dict[str, str] = manifest["files"]  # type: ignore[assignment]
    sizes = manifest.get("bytes")
    if isinstance(sizes, dict):
        # The GeoPackage's run id matched above; for the other files their presence and
        # size: hashing the whole folder (a national GeoPackage is gigabytes) would delay
        # every `serve --diagnostic` start for a check the run id already makes.
        changed = [name for name in files
                   if not (folder / name).is_file()
                   or (folder / name).stat().st_size != sizes.get(name)]
    else:  # a manifest written before the sizes were recorded: the digests
        changed = [name for name, digest in files.items()
                   if not (folder / name).is_file() or _sha256(folder / name) != digest]
    extra = [p.name for p in folder.iterdir()
             if p.is_file() and p.name not in files and p.name != MANIFEST_NAME
             and not p.name.endswith(SQLITE_SIDE_FILES)]
    if changed or extra:
        raise InputError(
            "fichiers qui ne viennent pas du calcul " + expected + " : "
            + ", ".join([*(f"{n} (modifié ou absent)" for n in changed),
                         *(f"{n} (ajouté)" for n in extra)][:6]), path=folder,
            expected="les fichiers d'un seul calcul (relancer `proximite diagnostic`)")
