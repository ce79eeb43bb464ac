"""Which paths name the same file or folder: compared by ``(st_dev, st_ino)``, not by path.

Two paths can reach one folder without any symlink: a bind mount (``mount --bind in alias``),
an NFS export mounted twice, a hard-linked file. ``os.path.realpath`` sees two different
paths there, so a job that compared resolved paths only would write its outputs over its
inputs. :class:`ProtectedInputs` records the identity of every folder of the input trees
and of every input file, and answers, for an output folder or file, whether it *is* one of
them.

A folder is protected with its whole tree (every sub-folder, hidden ones included, walked
without following symlinks); a file by its own identity (``lstat``: the directory entry's
inode, so a hard link is the same file), by its target's identity (``stat``) and by its
directory entry ``(folder identity, name)``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Mapping

__all__ = ["FileId", "file_id", "file_kind", "lies_in", "ProtectedInputs"]

#: ``(st_dev, st_ino)`` of a file or folder
FileId = tuple[int, int]


def file_id(path: str | os.PathLike, *, follow_symlinks: bool = True) -> FileId | None:
    """The identity ``(st_dev, st_ino)`` of ``path``, or None when it does not exist.

    Parameters
    ----------
    path : str or os.PathLike
        Any path.
    follow_symlinks : bool, default True
        False gives the identity of a symlink itself (``lstat``).

    Returns
    -------
    tuple of int or None
        ``(st_dev, st_ino)``; None when ``path`` (or a folder on its way) does not exist or
        cannot be reached.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> open(os.path.join(d, "a"), "w").close()
    >>> os.link(os.path.join(d, "a"), os.path.join(d, "b"))          # a hard link
    >>> file_id(os.path.join(d, "a")) == file_id(os.path.join(d, "b"))
    True
    >>> file_id(os.path.join(d, "missing")) is None
    True
    """
    try:
        st = os.stat(path, follow_symlinks=follow_symlinks)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def file_kind(path: str | os.PathLike) -> str:
    """What ``path`` is, in words, for messages about a path that should be a regular file.

    Parameters
    ----------
    path : str or os.PathLike
        Any path; a symlink is followed (and said).

    Returns
    -------
    str
        ``"a regular file"``, ``"a folder"``, ``"a FIFO"``, ``"a socket"``, ``"a character
        device"`` or ``"a block device"`` (with ``" (through a symlink)"`` when ``path`` is a
        symlink to it), ``"a dangling symlink"`` or ``"nothing"``.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> os.symlink("/dev/null", os.path.join(d, "n"))
    >>> file_kind(d), file_kind(os.path.join(d, "n")), file_kind(os.path.join(d, "missing"))
    ('a folder', 'a character device (through a symlink)', 'nothing')
    """
    import stat

    link = os.path.islink(path)
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return "a dangling symlink" if link else "nothing"
    word = "a regular file"
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            word = name
    return word + (" (through a symlink)" if link else "")


def _ancestors(path: Path) -> Iterable[Path]:
    """``path`` and its parents by name (not resolved), nearest first."""
    path = Path(os.path.abspath(path))
    yield path
    yield from path.parents


def lies_in(path: str | os.PathLike, folder: str | os.PathLike) -> bool:
    """Whether ``path`` is ``folder`` or lies inside it, through whatever path reaches it.

    Parameters
    ----------
    path : str or os.PathLike
        A file or folder, existing or not (its ancestors by name are compared).
    folder : str or os.PathLike
        A folder.

    Returns
    -------
    bool
        True when ``path`` or one of its ancestors has ``folder``'s ``(st_dev, st_ino)``;
        False when ``folder`` does not exist.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> os.symlink(d, d + "-alias")
    >>> lies_in(os.path.join(d + "-alias", "x", "y.png"), d), lies_in(tempfile.gettempdir(), d)
    (True, False)
    """
    fid = file_id(folder)
    return fid is not None and any(file_id(anc) == fid for anc in _ancestors(Path(path)))


class ProtectedInputs:
    """The identities of a job's inputs, to refuse outputs that would overwrite them.

    Parameters
    ----------
    trees : iterable of path-like, or mapping of path-like to str
        Input folders: each one and every folder below it is protected (an output folder may
        not be, nor lie inside, any of them). A mapping gives each a label (:attr:`roots`).
    files : iterable of path-like
        Input files: none may be replaced by an output (same inode through any path, a hard
        link, or the same directory entry).

    Examples
    --------
    >>> import os, tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> (d / "in" / "sub").mkdir(parents=True)
    >>> (d / "in" / "a.png").touch()
    >>> guard = ProtectedInputs([d / "in"], [d / "in" / "a.png"])
    >>> guard.tree_holding(d / "in" / "sub" / "new") is not None      # inside an input tree
    True
    >>> guard.tree_holding(d / "out") is None
    True
    >>> os.link(d / "in" / "a.png", d / "copy.png")                  # a hard link is the input
    >>> guard.is_input_file(d / "copy.png"), guard.is_input_file(d / "other.png")
    (True, False)
    """

    def __init__(self, trees: Iterable[str | os.PathLike] | Mapping[str | os.PathLike, str] = (),
                 files: Iterable[str | os.PathLike] = ()) -> None:
        named = trees if isinstance(trees, Mapping) else {t: "" for t in trees}
        #: each protected root (as given) and its label (e.g. the argument that named it)
        self.roots: dict[Path, str] = {}
        #: the identity of every protected folder -> (that folder, the root of its tree);
        #: a folder in two trees belongs to the first one given
        self.folders: dict[FileId, tuple[Path, Path]] = {}
        for tree, label in named.items():
            root = Path(tree)
            rid = file_id(root)
            if rid is None:
                continue
            self.roots[root] = label
            self.folders.setdefault(rid, (root, root))
            for dirpath, dirnames, _ in os.walk(root, followlinks=False):
                for name in dirnames:
                    sub = Path(dirpath) / name
                    fid = file_id(sub, follow_symlinks=False)
                    if fid is not None:
                        self.folders.setdefault(fid, (sub, root))
        self.files: dict[FileId, Path] = {}
        self.entries: set[tuple[FileId, str]] = set()
        for f in files:
            p = Path(f)
            for fid in (file_id(p), file_id(p, follow_symlinks=False)):
                if fid is not None:
                    self.files.setdefault(fid, p)
            parent = file_id(p.parent)
            if parent is not None:
                self.entries.add((parent, p.name))

    def holder(self, path: str | os.PathLike) -> tuple[Path, Path] | None:
        """The protected folder that ``path`` is or lies in, and the root of its tree.

        Parameters
        ----------
        path : str or os.PathLike
            A folder or file, existing or not: its nearest existing ancestor (by name, then
            by identity) is what is compared, since a folder created below it is new.

        Returns
        -------
        (pathlib.Path, pathlib.Path) or None
            ``(folder, root)`` as they were given (``root`` a key of :attr:`roots`); None
            when ``path`` is outside every protected tree.
        """
        for anc in _ancestors(Path(path)):
            fid = file_id(anc)
            if fid is not None and fid in self.folders:
                return self.folders[fid]
        return None

    def tree_holding(self, path: str | os.PathLike) -> Path | None:
        """The protected folder that ``path`` is, or lies in; None when it is outside them all.

        Parameters
        ----------
        path : str or os.PathLike
            A folder or file, existing or not (see :meth:`holder`).

        Returns
        -------
        pathlib.Path or None
            The protected folder (as it was given) that ``path`` or an ancestor of it is.
        """
        found = self.holder(path)
        return None if found is None else found[0]

    def is_input_file(self, path: str | os.PathLike) -> bool:
        """Whether writing ``path`` (by a rename onto it) would replace an input file.

        Parameters
        ----------
        path : str or os.PathLike
            An output file, existing or not.

        Returns
        -------
        bool
            True when ``path``'s directory entry is an input's, or the file there is an input
            reached through another path (a bind mount, a hard link). A symlink at ``path`` is
            compared itself, not its target: the rename replaces it and never follows it.
        """
        p = Path(path)
        parent = file_id(p.parent)
        if parent is not None and (parent, p.name) in self.entries:
            return True
        fid = file_id(p, follow_symlinks=False)      # a symlink there is replaced, not followed
        return fid is not None and fid in self.files

    def input_file(self, path: str | os.PathLike) -> Path | None:
        """The input file that ``path`` is (see :meth:`is_input_file`), as it was given.

        Parameters
        ----------
        path : str or os.PathLike
            An output file.

        Returns
        -------
        pathlib.Path or None
            The input, or None when ``path`` is not one.
        """
        p = Path(path)
        if not self.is_input_file(p):
            return None
        fid = file_id(p, follow_symlinks=False)
        return self.files.get(fid, p) if fid is not None else p
