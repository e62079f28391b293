"""The software's version: `major.minor.revision`; the major changes with every fiscal change."""

__version__ = "2.0.0"

SOFTWARE_NAME = "Till"


def major_version() -> int:
    return int(__version__.split(".", 1)[0])
