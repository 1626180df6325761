"""The generation engine's tables: jobs, their slots and attempts, LLM calls, the reply cache.

A job is a numbered sequence of slots; a slot's row, its attempts and its item are written in
one transaction (`commit_slot`), so after `kill -9` a resume skips exactly the committed slots.
Every call is a row in `llm_calls`, written with the reply it paid for (`record_call`).
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.store.database import now
from sandbox.result import RunResult

if TYPE_CHECKING:
    from core.store.items import NewItem, Store

# Call outcomes that count as paid (or replayed) replies in a job's totals.
_COUNTED = "('ok', 'truncated', 'cache_hit')"


@dataclass
class AttemptRecord:
    """One attempt behind a generated item: what was asked, what came back, how it ran,
    and the feedback the model was given next."""

    iteration: int
    prompt_summary: str
    reply: str | None
    status: str
    run_result: RunResult | None = None
    feedback: str | None = None
    created_at: str = ""  # when the attempt ran (the commit time if left empty)


@dataclass
class CallTotals:
    """What a job has paid for, as its calls reported (cache replays cost nothing)."""

    calls: int = 0
    cached_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    mean_latency_ms: float | None = None  # of the calls that got a reply from the server
    estimated_calls: int = 0  # replies without usage from the server: tokens are our count

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class CachedReply:
    """A reply as the cache keeps it (recorded replies are loaded as these)."""

    key: str
    model: str
    request: dict[str, Any]
    response: dict[str, Any]


def lease_is_live(owner: str, expires: float | None) -> bool:
    """Whether a lease still binds: not expired and, when its holder runs on this machine,
    the holder's process is alive (a `kill -9` frees the job at once, not after expiry)."""
    if expires is None or expires < time.time():
        return False
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    return True


def holder_text(owner: str) -> str:
    """A lease holder for people: "process 1234 on host"."""
    host, _, rest = owner.partition(":")
    return f"process {rest.partition(':')[0]} on {host}"


class JobStore:
    """Every statement on the generation tables."""

    def __init__(self, store: Store):
        self.store = store
        self.conn = store.conn

    # -- jobs ------------------------------------------------------------------------------

    def find(self, job_id: int) -> tuple[int, dict[str, Any]] | None:
        """(id, stored configuration) of job `job_id`, or None."""
        row = self.conn.execute(
            "SELECT id, config FROM generation_jobs WHERE id = ?", [job_id]
        ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def latest(self, identity: str) -> tuple[int, dict[str, Any]] | None:
        """(id, stored configuration) of the newest job with this identity, or None."""
        row = self.conn.execute(
            "SELECT id, config FROM generation_jobs WHERE identity = ? ORDER BY id DESC LIMIT 1",
            [identity],
        ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def create(self, identity: str, pipeline: str, model: str, target: int) -> int:
        """A new running job; its configuration is written by `save`."""
        stamp = now()
        with self.store.write():
            cursor = self.conn.execute(
                "INSERT INTO generation_jobs (identity, pipeline, model, config, target, state, "
                "created_at, updated_at) VALUES (?, ?, ?, '{}', ?, 'running', ?, ?)",
                [identity, pipeline, model, target, stamp, stamp],
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def save(
        self,
        job_id: int,
        config: dict[str, Any],
        *,
        target: int,
        state: str,
        stop_reason: str | None,
    ) -> None:
        """A job's configuration, target and state as they are now."""
        with self.store.write():
            self.conn.execute(
                "UPDATE generation_jobs SET config = ?, target = ?, state = ?, stop_reason = ?, "
                "updated_at = ? WHERE id = ?",
                [json.dumps(config), target, state, stop_reason, now(), job_id],
            )

    # -- leases: one runner per job ---------------------------------------------------------

    def acquire(self, job_id: int, owner: str, seconds: float) -> str | None:
        """Take job `job_id` for `owner` for `seconds`; None when taken, else the live holder
        ("host:pid:token") that keeps it. One UPDATE, so two processes cannot both win."""
        with self.store.write():
            row = self.conn.execute(
                "SELECT lease_owner, lease_expires FROM generation_jobs WHERE id = ?", [job_id]
            ).fetchone()
            if row and row[0] and row[0] != owner and lease_is_live(row[0], row[1]):
                return str(row[0])
            self.conn.execute(
                "UPDATE generation_jobs SET lease_owner = ?, lease_expires = ? WHERE id = ?",
                [owner, time.time() + seconds, job_id],
            )
        return None

    def renew(self, job_id: int, owner: str, seconds: float) -> None:
        with self.store.write():
            self.conn.execute(
                "UPDATE generation_jobs SET lease_expires = ? WHERE id = ? AND lease_owner = ?",
                [time.time() + seconds, job_id, owner],
            )

    def release(self, job_id: int, owner: str) -> None:
        with self.store.write():
            self.conn.execute(
                "UPDATE generation_jobs SET lease_owner = NULL, lease_expires = NULL "
                "WHERE id = ? AND lease_owner = ?",
                [job_id, owner],
            )

    def all(self) -> list[dict[str, Any]]:
        """Every job with its state and totals, newest first. A job stored as running whose
        runner is gone (killed, crashed) is reported `interrupted`."""
        rows = self.conn.execute(
            "SELECT j.id, j.pipeline, j.model, j.target, j.state, j.stop_reason, j.created_at, "
            "j.updated_at, j.config, "
            "(SELECT count(*) FROM generation_slots s WHERE s.job_id = j.id "
            " AND s.outcome IS NOT NULL), "
            "(SELECT count(*) FROM generation_slots s WHERE s.job_id = j.id "
            " AND s.outcome = 'pass'), "
            "(SELECT count(*) FROM generation_slots s WHERE s.job_id = j.id "
            " AND s.query_id IS NOT NULL), "
            "(SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) FROM llm_calls c "
            " WHERE c.job_id = j.id), "
            "(SELECT coalesce(sum(cost), 0) FROM llm_calls c WHERE c.job_id = j.id), "
            "j.lease_owner, j.lease_expires, "
            "(SELECT count(*) FROM llm_calls c WHERE c.job_id = j.id AND c.estimated) "
            "FROM generation_jobs j ORDER BY j.id DESC"
        ).fetchall()
        jobs = []
        for row in rows:
            config = json.loads(row[8])
            state = row[4]
            live = bool(row[14]) and lease_is_live(row[14], row[15])
            if state == "running" and not live:
                state = "interrupted"
            jobs.append(
                {
                    "job_id": row[0],
                    "pipeline": row[1],
                    "model": row[2],
                    "target": row[3],
                    "state": state,
                    "stop_reason": row[5],
                    "runner": holder_text(row[14]) if live else None,
                    "created_at": row[6],
                    "updated_at": row[7],
                    "produced": row[9],
                    "passed": row[10],
                    "items": row[11],
                    "tokens": row[12],
                    # calls whose tokens are our count (the server reported no usage)
                    "estimated_calls": row[16],
                    "cost": round(row[13], 6),
                    "replay": bool(config.get("offline")),
                    "config": config,
                }
            )
        return jobs

    # -- slots and attempts ----------------------------------------------------------------

    def outcomes(self, job_id: int) -> dict[str, int]:
        """outcome -> how many of the job's slots ended so."""
        return dict(
            self.conn.execute(
                "SELECT outcome, count(*) FROM generation_slots WHERE job_id = ? "
                "AND outcome IS NOT NULL GROUP BY outcome",
                [job_id],
            ).fetchall()
        )

    def finished_slots(self, job_id: int) -> set[int]:
        """The slots of a job that have an outcome (a resume skips them)."""
        rows = self.conn.execute(
            "SELECT slot FROM generation_slots WHERE job_id = ? AND outcome IS NOT NULL",
            [job_id],
        )
        return {row[0] for row in rows}

    def items_made(self, job_id: int) -> int:
        """How many of the job's slots produced an item."""
        return self.conn.execute(
            "SELECT count(*) FROM generation_slots WHERE job_id = ? AND query_id IS NOT NULL",
            [job_id],
        ).fetchone()[0]

    def plans(self, job_id: int) -> dict[int, dict[str, Any]]:
        """slot -> plan, for every slot the job has planned."""
        rows = self.conn.execute(
            "SELECT slot, plan FROM generation_slots WHERE job_id = ?", [job_id]
        )
        return {row[0]: json.loads(row[1]) for row in rows}

    def plan(self, job_id: int, plans: Iterable[tuple[int, dict[str, Any]]]) -> None:
        """Record slots' plans before they run (slots already planned keep theirs)."""
        with self.store.write():
            self.conn.executemany(
                "INSERT OR IGNORE INTO generation_slots (job_id, slot, plan) VALUES (?, ?, ?)",
                [(job_id, slot, json.dumps(plan)) for slot, plan in plans],
            )

    def slot(self, job_id: int, slot: int) -> tuple[str | None, str | None] | None:
        """(outcome, query_id) of one slot, or None when it was never planned."""
        row = self.conn.execute(
            "SELECT outcome, query_id FROM generation_slots WHERE job_id = ? AND slot = ?",
            [job_id, slot],
        ).fetchone()
        return (row[0], row[1]) if row else None

    def commit_slot(
        self,
        job_id: int,
        slot: int,
        plan: dict[str, Any],
        *,
        outcome: str,
        iterations: int,
        attempts: list[AttemptRecord],
        item: NewItem | None,
        author: str,
    ) -> None:
        """A slot's item (unless it is already stored), its row and its attempts, in one
        transaction."""
        query_id = str(item.record["query_id"]) if item is not None else None
        stamp = now()
        with self.store.write():
            if item is not None and query_id is not None and not self.store.exists(query_id):
                self.store.insert_item(item, author=author, action="generate")
            self.conn.execute(
                "INSERT INTO generation_slots (job_id, slot, plan, outcome, query_id, iterations, "
                "finished_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(job_id, slot) DO UPDATE SET "
                "outcome = excluded.outcome, query_id = excluded.query_id, "
                "iterations = excluded.iterations, finished_at = excluded.finished_at",
                [job_id, slot, json.dumps(plan), outcome, query_id, iterations, stamp],
            )
            self.conn.executemany(
                "INSERT INTO generation_attempts (job_id, slot, query_id, iteration, "
                "prompt_summary, reply, status, run_result, feedback, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        job_id,
                        slot,
                        query_id,
                        a.iteration,
                        a.prompt_summary,
                        a.reply,
                        a.status,
                        json.dumps(a.run_result.to_dict(), ensure_ascii=False)
                        if a.run_result
                        else None,
                        a.feedback,
                        a.created_at or stamp,  # when the attempt ran, if it says
                    )
                    for a in attempts
                ],
            )

    def attempts(self, query_id: str) -> list[AttemptRecord]:
        """Every attempt behind a generated item, in order."""
        rows = self.conn.execute(
            "SELECT iteration, prompt_summary, reply, status, run_result, feedback, created_at "
            "FROM generation_attempts WHERE query_id = ? ORDER BY iteration, id",
            [query_id],
        ).fetchall()
        return [
            AttemptRecord(
                iteration=row[0],
                prompt_summary=row[1],
                reply=row[2],
                status=row[3],
                run_result=RunResult.from_dict(json.loads(row[4])) if row[4] else None,
                feedback=row[5],
                created_at=row[6],
            )
            for row in rows
        ]

    def job_attempts(self, job_id: int) -> list[dict[str, Any]]:
        """Every attempt of a job, by slot and iteration, as plain data (for `assay jobs show`)."""
        rows = self.conn.execute(
            "SELECT slot, query_id, iteration, prompt_summary, reply, status, run_result, "
            "feedback, created_at FROM generation_attempts WHERE job_id = ? "
            "ORDER BY slot, iteration, id",
            [job_id],
        ).fetchall()
        keys = (
            "slot",
            "query_id",
            "iteration",
            "prompt_summary",
            "reply",
            "status",
            "run_result",
            "feedback",
            "created_at",
        )
        out = []
        for row in rows:
            attempt = dict(zip(keys, row, strict=True))
            attempt["run_result"] = json.loads(row[6]) if row[6] else None
            out.append(attempt)
        return out

    # -- calls and the reply cache ---------------------------------------------------------

    def calls(self, job_id: int) -> list[dict[str, Any]]:
        """Every call a job made (paid, retried, failed, from the cache), in order."""
        cursor = self.conn.execute(
            "SELECT id, slot, purpose, model, cached, try, outcome, http_status, finish_reason, "
            "prompt_tokens, completion_tokens, cached_tokens, estimated, cost, latency_ms, error, "
            "created_at FROM llm_calls WHERE job_id = ? ORDER BY id",
            [job_id],
        )
        keys = [d[0] for d in cursor.description]
        return [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]

    def call_totals(self, job_id: int) -> CallTotals:
        """What the job's counted calls reported, summed."""
        row = self.conn.execute(
            "SELECT count(*), coalesce(sum(cached), 0), coalesce(sum(prompt_tokens), 0), "
            "coalesce(sum(completion_tokens), 0), coalesce(sum(cost), 0), "
            "avg(CASE WHEN outcome = 'ok' THEN latency_ms END), coalesce(sum(estimated), 0) "
            f"FROM llm_calls WHERE job_id = ? AND outcome IN {_COUNTED}",
            [job_id],
        ).fetchone()
        return CallTotals(*row)

    def capabilities(self, endpoint: str, model: str) -> dict[str, Any] | None:
        """What (endpoint, model) was last found to accept, or None when never probed."""
        row = self.conn.execute(
            "SELECT capabilities FROM llm_capabilities WHERE endpoint = ? AND model = ?",
            [endpoint, model],
        ).fetchone()
        return json.loads(row[0]) if row else None

    def save_capabilities(self, endpoint: str, model: str, capabilities: dict[str, Any]) -> None:
        """Remember what (endpoint, model) accepts, for every later call and job."""
        with self.store.write():
            self.conn.execute(
                "INSERT INTO llm_capabilities (endpoint, model, capabilities, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(endpoint, model) DO UPDATE SET "
                "capabilities = excluded.capabilities, updated_at = excluded.updated_at",
                [endpoint, model, json.dumps(capabilities, sort_keys=True), now()],
            )

    def cached_reply(self, key: str) -> dict[str, Any] | None:
        """The cached response under `key`, or None."""
        row = self.conn.execute("SELECT response FROM llm_cache WHERE key = ?", [key]).fetchone()
        return json.loads(row[0]) if row else None

    def record_call(self, call: dict[str, Any], cache: CachedReply | None = None) -> None:
        """One `llm_calls` row (its columns as keys), and the reply it paid for, in one
        transaction."""
        columns = ", ".join(call)
        with self.store.write():
            self.conn.execute(
                f"INSERT INTO llm_calls ({columns}) VALUES ({', '.join('?' * len(call))})",
                list(call.values()),
            )
            if cache is not None:
                self._cache([cache], call["created_at"])

    def cache_replies(self, replies: Iterable[CachedReply]) -> None:
        """Put replies into the cache (replies already there are kept)."""
        with self.store.write():
            self._cache(replies, now())

    def _cache(self, replies: Iterable[CachedReply], stamp: str) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO llm_cache (key, model, request, response, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (
                    r.key,
                    r.model,
                    json.dumps(r.request, ensure_ascii=False),
                    json.dumps(r.response, ensure_ascii=False),
                    stamp,
                )
                for r in replies
            ],
        )
