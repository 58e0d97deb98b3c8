"""Daily rollups of contacts, cases and surveys: written incrementally from domain events and
recomputable from raw data with the same result (SPEC of issue 10, DESIGN §6).

- ``buckets``: bucket keys, per-contact counters, the batched ``x = x + excluded.x`` upsert;
- ``transactions``, ``followups``: pure functions, a group's or partition's contributions;
- ``contributions``: those functions over a set of counted contacts (incremental and rebuild);
- ``counted``: which raw rows the rollups count (their event processed, or gone);
- ``incremental``: the ``interaction.recorded`` handler, batched;
- ``cases``, ``surveys``: the handlers of case resolutions and survey events;
- ``rebuild``: ``flask metrics rebuild``, in SQL on PostgreSQL and in Python elsewhere;
- ``reconcile``: the nightly comparison with raw data and the catch-up of late events.
"""
