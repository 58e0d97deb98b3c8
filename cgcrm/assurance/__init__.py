"""Citizen identity assurance: evidence that a person is who they claim, and the level it gives.

A domain about a citizen (``cgcrm/layers.py``): it builds on the citizen record and is read by
the 360 view; the record itself shows the level through a look-up ``create_app`` installs
(``cgcrm.citizens.assurance_links``), never by importing this package.
"""
