"""The shared payment service (issue 12): one way to take a fee on every channel, refunds,
providers behind one adapter interface, the ledger and its reconciliation."""
