"""What every domain uses: errors, ids, HTTP conventions, audit trail, outbox."""
