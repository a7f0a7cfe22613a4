"""The SDK's version, kept in one place (the package metadata says the same)."""

__version__ = "0.2.0"
