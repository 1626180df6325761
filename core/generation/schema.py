"""Tables of the generation engine (jobs, LLM calls, response cache, slots, attempts).

Every call to a model is a row in `llm_calls`; every reply paid for is a row in `llm_cache`,
written in the same transaction, so a crash can never lose a paid reply. A job is a fixed
sequence of numbered slots; a slot row is written in the same transaction as its item.
"""

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("assay.generation")


@migrations()
def m001_jobs_calls_cache(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE generation_jobs (
            id INTEGER PRIMARY KEY,
            identity TEXT NOT NULL,
            pipeline TEXT NOT NULL,
            model TEXT NOT NULL,
            config TEXT NOT NULL,
            target INTEGER NOT NULL,
            state TEXT NOT NULL,
            stop_reason TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_generation_jobs_identity ON generation_jobs(identity)")
    db.execute(
        """
        CREATE TABLE generation_slots (
            job_id INTEGER NOT NULL REFERENCES generation_jobs(id),
            slot INTEGER NOT NULL,
            plan TEXT NOT NULL,
            outcome TEXT,
            query_id TEXT,
            iterations INTEGER,
            finished_at TEXT,
            PRIMARY KEY (job_id, slot)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE generation_attempts (
            id INTEGER PRIMARY KEY,
            job_id INTEGER NOT NULL,
            slot INTEGER NOT NULL,
            query_id TEXT,
            iteration INTEGER NOT NULL,
            prompt_summary TEXT NOT NULL,
            reply TEXT,
            status TEXT NOT NULL,
            run_result TEXT,
            feedback TEXT,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_generation_attempts_query ON generation_attempts(query_id)")
    db.execute(
        "CREATE INDEX idx_generation_attempts_slot ON generation_attempts(job_id, slot, iteration)"
    )
    db.execute(
        """
        CREATE TABLE llm_calls (
            id INTEGER PRIMARY KEY,
            job_id INTEGER,
            slot INTEGER,
            purpose TEXT NOT NULL,
            model TEXT NOT NULL,
            prompt_hash TEXT NOT NULL,
            cache_key TEXT NOT NULL,
            cached INTEGER NOT NULL DEFAULT 0,
            try INTEGER NOT NULL DEFAULT 1,
            outcome TEXT NOT NULL,
            http_status INTEGER,
            finish_reason TEXT,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cost REAL NOT NULL DEFAULT 0,
            latency_ms REAL,
            error TEXT,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_llm_calls_job ON llm_calls(job_id)")
    db.execute(
        """
        CREATE TABLE llm_cache (
            key TEXT PRIMARY KEY,
            model TEXT NOT NULL,
            request TEXT NOT NULL,
            response TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """
    )
