"""Identity resolution, bulk import and the duplicate scan (issue 11: cgcrm.matching,
cgcrm.integrations.imports, cgcrm.matching.scan).
"""

from __future__ import annotations

from cgcrm.settings.core import Setting

MATCHING: tuple[Setting, ...] = (
    Setting(
        "MATCH_THRESHOLD",
        float,
        0.9,
        "Match probability from which two records are one person: a create answers 409 "
        "naming the existing record. Stored with each trained model (`flask matching train`); "
        "the active model's value applies.",
    ),
    Setting(
        "MATCH_POSSIBLE_THRESHOLD",
        float,
        0.3,
        "Match probability from which two records may be one person: a create goes ahead and "
        "files a review item. Stored with each trained model, like MATCH_THRESHOLD.",
    ),
    Setting(
        "IMPORT_MAX_BYTES",
        int,
        50 * 1024 * 1024,
        "Largest file POST /api/v1/imports takes (every other request is held to 1 MB).",
    ),
    Setting(
        "IMPORT_BATCH_SIZE",
        int,
        1000,
        "Rows of an import applied per transaction (with their outcomes: a killed job resumes "
        "after the last committed batch).",
    ),
    Setting(
        "IMPORT_PREPARE_PROCESSES",
        int,
        2,
        "Processes an import job forks to prepare its batches (validation, record building, "
        "the population's candidates and their scores) ahead of the batch being written, on "
        "PostgreSQL; 0 prepares them in a thread of the job's process.",
    ),
    Setting(
        "IMPORT_JOB_TIMEOUT",
        int,
        3600,
        "Seconds an import or duplicate scan job may run before RQ stops it (a retry resumes).",
    ),
    Setting(
        "SCAN_BLOCK_CAP",
        int,
        200,
        "Most records of one blocking key the duplicate scan compares with each other; a "
        "larger block (a very common name) is compared only with its nearest neighbours in "
        "date of birth order.",
    ),
)
