"""Following a scheme: action plans as data, their reviews (COPIL), indicators, roll-ups.

Pure computation over in-memory plans (:mod:`proximite.plans.model`): the YAML schema
(:mod:`~proximite.plans.schema`), edits with history (:mod:`~proximite.plans.edit`), the
roll-up of reviews and the indicators' trends (:mod:`~proximite.plans.progress`).
Files are read by :mod:`proximite.io.plans`, persisted by :mod:`proximite.store.plans`.
"""
