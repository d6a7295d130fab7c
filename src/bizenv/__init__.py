"""bizenv: toolkit for the open-data corpus of Chinese business-environment policies."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bizenv")  # one place: the VERSION file, read by the packaging
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"


def read(table: str, package=None, validate: bool = True):
    """A corpus table as a typed pandas DataFrame, validated by a pandera schema derived from its
    Table Schema (see :func:`bizenv.frames.read`); pandas and pandera are imported only when called."""
    from .frames import read as _read

    return _read(table, package, validate)
