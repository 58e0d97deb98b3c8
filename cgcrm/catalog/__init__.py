"""Departments, channels and services: what the government offers, where, at what cost."""
