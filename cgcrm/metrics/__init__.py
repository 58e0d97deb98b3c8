"""Measures administrators watch (DESIGN §6): daily rollups fed by domain events."""
