"""Bulk import of citizen records: a stored file, validated, matched and applied by a job."""
