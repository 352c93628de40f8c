"""Errors the command line turns into one clear message and a non-zero exit."""


class StdpnetError(Exception):
    """Base class: the message names the file, key or value at fault."""


class ConfigError(StdpnetError):
    """A network spec or option has a bad key or value."""


class DataError(StdpnetError):
    """A data file is missing, truncated, corrupt or of the wrong shape."""


class RunFolderError(StdpnetError):
    """A run folder is missing, incomplete, or would be overwritten."""


class BuildError(StdpnetError):
    """A network could not be compiled (no C++ compiler, or one that fails)."""
