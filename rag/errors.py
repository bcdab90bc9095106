"""The one base class of every error a user can cause or fix.

The CLI, the web page and (later) the API catch ``RagError`` and nothing
broader: its message is shown as one line, and anything else is a bug that
should surface with its traceback in a log. Each stage raises its own
subclass (``IngestError``, ``BadIndexError``, ...), defined beside the code
that raises it; file and disk errors (``OSError``) are wrapped into one of
them where files are read or written, with the file's name in the message.
"""

from __future__ import annotations


class RagError(Exception):
    """A user-facing error: the message says what went wrong and, where it can, what to do."""
