"""The 360 view: a read model composed from the citizen record and the domains about a citizen.

It sits above citizens, interactions and cases (and later payments, surveys, assurance), so it
may import all of them and none of them imports it (DESIGN.md §2, ``cgcrm/layers.py``).
"""
