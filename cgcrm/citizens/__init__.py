"""The unified citizen record: one per person, read and written by every channel."""
