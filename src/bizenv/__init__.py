"""bizenv: toolkit for the open-data corpus of Chinese business-environment policies."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bizenv")  # one place: the VERSION file, read by the packaging
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
