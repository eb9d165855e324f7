"""The micro target's error: a bad board/model combination, a model that does not fit,
a failed cross-build or emulator run — always with what went wrong and what to try."""
from ember.errors import EmberError


class MicroError(EmberError):
    pass
