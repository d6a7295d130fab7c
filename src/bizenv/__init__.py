"""bizenv: toolkit for the open-data corpus of Chinese business-environment policies."""

__version__ = "0.1.0"
