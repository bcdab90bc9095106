"""The Gradio web chat: the page (``app``), its HTML (``render``) and the engines it shares (``engines``).

``python app.py`` and ``rag serve`` start it; nothing here is imported by the
core, and gradio is imported only when the page is built.
"""
