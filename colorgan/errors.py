"""Errors that name a user's mistake; a module of its own so models can raise them without importing
the command-line layer (cli -> checkpoint loader -> allow-list -> models)."""


class ConfigError(ValueError):
    """Settings that cannot work together; the message says which and what to do instead."""
