"""``rag eval``: ask a question set, measure retrieval and answers, write a report.

``questions`` reads question files, ``corpus`` indexes what they are asked
of, ``metrics`` scores one answer, ``run`` is the resumable loop and the
whole command, ``report`` aggregates the per-question lines into files, and
``cli`` holds the flags. Nothing in the core imports this package.
"""
