"""Satisfaction surveys: invitations after a contact, and the answers citizens give."""
