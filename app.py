"""Start the web chat: ``python app.py [--host H] [--port P]`` (http://127.0.0.1:7860 by default).

The UI lives in ``rag.ui.app`` so that it ships with the package (``rag
serve`` can call the same ``main``); this file is only the entry point the
README and ``make run`` use. ``build_app(engine)`` is re-exported for tests
and embedding: it builds the page without loading any model.
"""

from __future__ import annotations

import sys

from rag.ui.app import build_app, launch, main

__all__ = ["build_app", "launch", "main"]

if __name__ == "__main__":
    sys.exit(main())
