"""Evaluation: question sets, a resumable runner, metrics, and JSON/HTML reports (``qa eval``).

``dataset`` reads question sets, ``runner`` runs them through retrieval and answering, ``metrics``
scores the finished records, ``report`` and ``page`` write what a run found.
"""
