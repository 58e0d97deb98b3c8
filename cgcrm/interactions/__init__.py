"""Every contact on every channel: the touchpoint log that feeds the 360 view and the measures."""
