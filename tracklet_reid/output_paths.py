"""Where a command writes: checked before any work starts, so that a bad ``-o`` costs a one-line
error and not an hour of computing, and so that no output ever replaces an input.

Every command that writes calls `output_folder` (a folder of results) or `output_file` (one
file); both name the inputs the command reads, and refuse when an output would land on one of them.
"""
from __future__ import annotations

import errno
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

from tracklet_reid.errors import InputError

Inputs = Mapping[str, "str | os.PathLike | None"]


def _first_existing_parent(path: Path) -> Path:
    p = path
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _resolved(path: str | os.PathLike) -> Path:
    return Path(path).expanduser().resolve()


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def refuse_overwriting_inputs(outputs: list[Path], inputs: Inputs, flag: str = "-o") -> None:
    """One line when an output path (a file, or a folder the command fills) is, or holds, an input."""
    for name, value in inputs.items():
        if not value:
            continue
        src = _resolved(value)
        for out in outputs:
            dst = _resolved(out)
            if _inside(src, dst):
                raise InputError(f"{name} {value}: this command would write {out} over it; choose another {flag} "
                                 "or move the input")


def _check_parent(path: Path, what: str) -> None:
    anchor = _first_existing_parent(path.parent if path.parent != path else path)
    if not anchor.is_dir():
        raise InputError(f"{path}: cannot create the {what} under {anchor}, which is a file")
    if not os.access(anchor, os.W_OK | os.X_OK):
        raise InputError(f"{path}: cannot create the {what}: {anchor} is not writable")


def io_error_line(exc: BaseException, path: str | os.PathLike | None = None) -> str:
    """A one-line account of an error while writing: what, where, and for a full disk (an ENOSPC,
    or a library's wrapped report of one, see `is_disk_full`) how much is free."""
    import re

    named = re.search(r"filename = '([^']+)'", str(exc))  # h5py names the file inside its message
    where = getattr(exc, "filename", None) or path or (named.group(1) if named else "an output file")
    if is_disk_full(exc, path):
        free = ""
        try:
            free = f" ({shutil.disk_usage(_first_existing_parent(Path(where))).free / 1e6:.0f} MB free there)"
        except OSError:
            pass
        return f"{where}: the disk is full{free}; free some space and rerun (completed work is kept)"
    reason = getattr(exc, "strerror", None) or exc
    if getattr(exc, "errno", None) in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{where}: not writable ({reason})"
    return f"{where}: cannot write ({reason})"


# Free space kept in hand while writing: HDF5 needs room to flush its metadata when a file is closed,
# and once a write has failed with ENOSPC h5py cannot close the file cleanly (measured: dozens of
# tracebacks from its finalisers, then a segmentation fault). Stopping before the disk is full
# keeps every file closable and the store intact.
DISK_RESERVE = 16 << 20


def ensure_free_space(path: str | os.PathLike, need: int = 0, reserve: int = DISK_RESERVE) -> None:
    """One line (InputError) when writing ``need`` more bytes at ``path`` would leave less than
    ``reserve`` free on its disk."""
    where = _first_existing_parent(Path(path))
    try:
        free = shutil.disk_usage(where).free
    except OSError:
        return
    if free < need + reserve:
        raise InputError(f"{path}: the disk is full ({free / 1e6:.1f} MB free there; writing needs "
                         f"{(need + reserve) / 1e6:.1f} MB with the {reserve >> 20} MB kept in hand); free some "
                         "space and rerun (completed work is kept)")


def is_disk_full(exc: BaseException, where: str | os.PathLike | None = None) -> bool:
    """Whether ``exc`` comes from a full disk: an OSError with ENOSPC, or a library's wrapped
    report of one (h5py puts the errno in its message, torch.save raises a RuntimeError)."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return True
    text = str(exc)
    if "No space left on device" in text or "errno = 28" in text:
        return True
    if where is not None and "write" in text.lower():
        try:
            return shutil.disk_usage(_first_existing_parent(Path(where))).free < (1 << 20)
        except OSError:
            return False
    return False


def prepare_folder(path: str | os.PathLike, inputs: Inputs | None = None, writes: tuple[str, ...] = (),
                   what: str = "output folder") -> tuple[Path, bool]:
    """(the folder, whether this call created it). ``writes``: the files and subfolders the command
    puts in it; an input at one of them is refused. The whole folder counts when ``writes`` is empty."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InputError(f"{p}: is a file; give a folder name for the {what}")
    targets = [p / w for w in writes] if writes else [p]
    refuse_overwriting_inputs(targets, inputs or {})
    created = not p.exists()
    if created:
        _check_parent(p, what)
        try:
            p.mkdir(parents=True)
        except OSError as exc:
            raise InputError(io_error_line(exc, p)) from None
    elif not os.access(p, os.W_OK | os.X_OK):
        raise InputError(f"{p}: the {what} is not writable")
    return p, created


def prepare_file(path: str | os.PathLike, inputs: Inputs | None = None, what: str = "output file",
                 replace: bool = False) -> Path:
    """A file path ready to write: its folder made, no input at it, and (unless ``replace``) no
    existing file there."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p}: is a folder; give the {what}'s file name")
    refuse_overwriting_inputs([p], inputs or {})
    if p.exists() and not replace:
        raise InputError(f"{p}: exists already; choose another name or delete it first")
    _check_parent(p, what)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(io_error_line(exc, p.parent)) from None
    return p


def remove_if_empty(folder: Path) -> None:
    """Remove ``folder`` and the empty folders in it, if nothing else is left there."""
    if not folder.is_dir():
        return
    for sub in sorted((d for d in folder.rglob("*") if d.is_dir()), key=lambda d: len(d.parts), reverse=True):
        try:
            sub.rmdir()
        except OSError:
            pass
    try:
        folder.rmdir()
    except OSError:
        pass


@contextmanager
def output_folder(path: str | os.PathLike, inputs: Inputs | None = None, writes: tuple[str, ...] = (),  # noqa: PLR0913
                  what: str = "output folder", command: str | None = None, settings: Mapping | None = None,
                  force: bool | None = None, clean: bool = True) -> Iterator[Path]:
    """`prepare_folder`, and on failure the folder is removed again if this run made it and left it
    empty. With ``command``, the folder keeps a manifest (`tracklet_reid.manifest`): the previous
    run's files are removed first (unless ``clean`` is off: learn resumes from its own), and the
    manifest lists this run's inputs, settings and files when it ends (marked incomplete when it
    fails, so that the next run removes them too)."""
    from tracklet_reid.manifest import claim, files_under, write_manifest

    p, created = prepare_folder(path, inputs, writes, what)
    foreign: set[str] = set()
    if command is not None:
        try:
            foreign = claim(p, writes, settings, force, clean)
        except BaseException:
            if created:
                remove_if_empty(p)
            raise
    try:
        yield p
    except BaseException:
        # a failed run's files listed, so that the next run removes them (not for learn, whose files
        # are its resume state); never a second error over the first (a full disk)
        if command is not None and clean and p.is_dir():
            left = files_under(p) - foreign
            try:
                if left:
                    write_manifest(p, command, inputs or {}, settings, sorted(left), complete=False)
            except OSError:
                pass
        if created:
            remove_if_empty(p)
        raise
    if command is not None:
        write_manifest(p, command, inputs or {}, settings, sorted(files_under(p) - foreign))
