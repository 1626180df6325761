"""Tables of the generation engine (jobs, LLM calls, response cache, attempts)."""

from sqlite_utils.migrations import Migrations

migrations = Migrations("assay.generation")
