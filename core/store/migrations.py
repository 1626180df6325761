"""Every table of the database, created by migrations the store applies on every open.

One ordered list, `MIGRATIONS`: the items' set first, then the generation engine's. The set
names are what `_sqlite_migrations` records, so they never change.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

items = Migrations("assay.store")
generation = Migrations("assay.generation")

# The order `open_db` applies them in.
MIGRATIONS: tuple[Migrations, ...] = (items, generation)


# -- items, revisions, check results, duplicate signatures -----------------------------------


@items()
def m001_items_and_revisions(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            query_id TEXT NOT NULL UNIQUE,
            record TEXT NOT NULL,
            query_text TEXT,
            reference_answer TEXT,
            assertions TEXT,
            language TEXT,
            difficulty TEXT,
            category TEXT,
            function_name TEXT,
            status TEXT NOT NULL DEFAULT 'pending',
            revision INTEGER NOT NULL DEFAULT 1,
            content_hash TEXT NOT NULL,
            import_hash TEXT,
            source_format TEXT,
            source_file TEXT,
            source_line INTEGER,
            job_id INTEGER,
            model TEXT,
            parents TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            decided_by TEXT,
            decision_reason TEXT,
            check_status TEXT,
            recommendation TEXT,
            flag_codes TEXT,
            pass_rate REAL,
            cyclomatic_max REAL,
            cluster_id TEXT
        )
        """
    )
    for column in (
        "status",
        "language",
        "difficulty",
        "check_status",
        "recommendation",
        "created_at",
        "cyclomatic_max",
        "pass_rate",
        "cluster_id",
        "source_file",
    ):
        db.execute(f"CREATE INDEX idx_items_{column} ON items({column})")
    db.execute(
        """
        CREATE TABLE revisions (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            revision INTEGER NOT NULL,
            action TEXT NOT NULL,
            author TEXT NOT NULL,
            created_at TEXT NOT NULL,
            reason TEXT,
            status TEXT NOT NULL,
            record TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            UNIQUE (item_id, revision)
        )
        """
    )
    db.execute("CREATE INDEX idx_revisions_created ON revisions(created_at)")
    db.execute(
        """
        CREATE TABLE check_results (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            revision INTEGER NOT NULL,
            content_hash TEXT NOT NULL,
            status TEXT NOT NULL,
            recommendation TEXT,
            result TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (item_id, content_hash)
        )
        """
    )
    db.table("items").enable_fts(
        ["query_id", "query_text", "reference_answer", "assertions"],
        create_triggers=True,
        tokenize="unicode61",
    )


@items()
def m002_batch_fts_inserts(db: sqlite_utils.Database) -> None:
    # Per-row FTS triggers halve import speed; new rows are indexed in one statement
    # per transaction by Store._index_new_rows. Update and delete triggers stay.
    db.execute("DROP TRIGGER IF EXISTS items_ai")


@items()
def m003_duplicate_signatures(db: sqlite_utils.Database) -> None:
    # MinHash signatures per content, so the duplicate index is rebuilt without rehashing.
    db.execute(
        """
        CREATE TABLE signatures (
            item_id INTEGER PRIMARY KEY REFERENCES items(id),
            content_hash TEXT NOT NULL,
            signature BLOB NOT NULL
        )
        """
    )


@items()
def m004_template_keys(db: sqlite_utils.Database) -> None:
    # Statement/solution skeletons per content: repeated templates found with one query.
    for column in ("template_text", "template_code", "template_shown"):
        db.execute(f"ALTER TABLE signatures ADD COLUMN {column} TEXT")
    db.execute("CREATE INDEX idx_signatures_template ON signatures(template_text)")


@items()
def m005_tui_positions(db: sqlite_utils.Database) -> None:
    # Where each curator left the queue (filter, sort, item), so the app reopens there.
    db.execute(
        """
        CREATE TABLE queue_positions (
            curator TEXT PRIMARY KEY,
            filter TEXT NOT NULL,
            sort TEXT NOT NULL,
            query_id TEXT,
            updated_at TEXT NOT NULL
        )
        """
    )


@items()
def m006_quality_solver_pass_rate(db: sqlite_utils.Database) -> None:
    # The item's measured difficulty, derived from its record so it can never disagree with
    # it (core/quality/signals.py reads the same field): filtered and sorted by the queue.
    db.execute(
        "ALTER TABLE items ADD COLUMN solver_pass_rate REAL GENERATED ALWAYS AS ("
        "CASE WHEN json_type(record, '$.metadata.generation.solver.pass_rate') "
        "IN ('real', 'integer') THEN json_extract(record, "
        "'$.metadata.generation.solver.pass_rate') END) VIRTUAL"
    )
    db.execute("CREATE INDEX idx_items_solver_pass_rate ON items(solver_pass_rate)")


# -- the generation engine: jobs, slots, attempts, LLM calls, the reply cache -------------------
# Every call to a model is a row in `llm_calls`; every reply paid for is a row in `llm_cache`,
# written in the same transaction, so a crash can never lose a paid reply. A job is a fixed
# sequence of numbered slots; a slot row is written in the same transaction as its item.


@generation()
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


@generation()
def m002_job_leases(db: sqlite_utils.Database) -> None:
    # One runner per job: who holds it ("host:pid:token") and until when (epoch seconds).
    db.execute("ALTER TABLE generation_jobs ADD COLUMN lease_owner TEXT")
    db.execute("ALTER TABLE generation_jobs ADD COLUMN lease_expires REAL")


@generation()
def m003_generation_capabilities(db: sqlite_utils.Database) -> None:
    # What each (endpoint, model) accepts, learned from its answers once and reused by every
    # later job: structured outputs, token parameter, temperature, streaming (JSON).
    db.execute(
        """
        CREATE TABLE llm_capabilities (
            endpoint TEXT NOT NULL,
            model TEXT NOT NULL,
            capabilities TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (endpoint, model)
        )
        """
    )


@generation()
def m004_generation_estimated_usage(db: sqlite_utils.Database) -> None:
    # A reply without usage is counted by our tokenizer: `estimated` says so. Prompt tokens
    # the server served from its prompt cache are priced apart (`cached_tokens`).
    db.execute("ALTER TABLE llm_calls ADD COLUMN estimated INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE llm_calls ADD COLUMN cached_tokens INTEGER NOT NULL DEFAULT 0")
