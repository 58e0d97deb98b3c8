"""The channels citizens reach us by (DESIGN.md §6). Imports nothing of ours."""

DIGITAL_CHANNELS = ("web", "mobile_app", "email", "chat")
ASSISTED_CHANNELS = ("phone", "counter", "mail", "outreach")
CHANNEL_CODES = DIGITAL_CHANNELS + ASSISTED_CHANNELS
