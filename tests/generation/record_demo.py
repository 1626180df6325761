"""Record the replies that `assay demo` replays: core/data/demo_replies.jsonl.

The demo job (core.generation.demo_config) is run once against the local test server
answering with the hand-written problems below, and the cache it fills is written out.
Re-run after changing any prompt template: python -m tests.generation.record_demo
"""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
from pathlib import Path

from core.generation import demo_config, run_job
from core.generation.demo import demo_replies_path
from tests.generation.openai_server import FakeOpenAI

# (function name, statement, solution, tests); the 4th has a bug on the first try.
PROBLEMS = [
    (
        "merge_intervals",
        "Write a Python function named `merge_intervals` that takes a list of closed integer "
        "intervals `[start, end]` (start <= end) in any order and returns the list of merged "
        "intervals sorted by start. Intervals that overlap or touch (end == next start) merge. "
        "An empty list returns an empty list.",
        "def merge_intervals(intervals):\n    merged = []\n    for start, end in sorted(intervals):\n"
        "        if merged and start <= merged[-1][1]:\n            merged[-1][1] = max(merged[-1][1], end)\n"
        "        else:\n            merged.append([start, end])\n    return merged\n",
        "assert merge_intervals([]) == []\nassert merge_intervals([[1, 3], [2, 6], [8, 10]]) == [[1, 6], [8, 10]]\n"
        "assert merge_intervals([[5, 7], [1, 5]]) == [[1, 7]]\nassert merge_intervals([[1, 2]]) == [[1, 2]]\n"
        "assert merge_intervals([[1, 10], [2, 3], [4, 5]]) == [[1, 10]]",
    ),
    (
        "lru_get_sequence",
        "Write a Python function named `lru_get_sequence` that simulates a least-recently-used "
        "cache of `capacity` keys (capacity >= 1) over a list of key accesses and returns a list "
        "of booleans: True where the access was a hit, False where it was a miss (the key is then "
        "inserted, evicting the least recently used key if the cache is full).",
        "from collections import OrderedDict\n\n\ndef lru_get_sequence(capacity, accesses):\n"
        "    cache = OrderedDict()\n    hits = []\n    for key in accesses:\n        if key in cache:\n"
        "            cache.move_to_end(key)\n            hits.append(True)\n        else:\n"
        "            if len(cache) >= capacity:\n                cache.popitem(last=False)\n"
        "            cache[key] = None\n            hits.append(False)\n    return hits\n",
        "assert lru_get_sequence(2, []) == []\nassert lru_get_sequence(1, ['a', 'a', 'b', 'a']) == [False, True, False, False]\n"
        "assert lru_get_sequence(2, [1, 2, 1, 3, 2]) == [False, False, True, False, False]\n"
        "assert lru_get_sequence(3, [1, 2, 3, 1, 2, 3]) == [False, False, False, True, True, True]",
    ),
    (
        "longest_balanced_substring",
        "Write a Python function named `longest_balanced_substring` that returns the length of "
        "the longest contiguous substring of `s` made only of '(' and ')' characters that is a "
        "balanced parenthesis sequence. Other characters break a substring. Return 0 if none.",
        "def longest_balanced_substring(s):\n    best = 0\n    stack = [-1]\n    for i, ch in enumerate(s):\n"
        "        if ch == '(':\n            stack.append(i)\n        elif ch == ')':\n            stack.pop()\n"
        "            if stack:\n                best = max(best, i - stack[-1])\n            else:\n"
        "                stack.append(i)\n        else:\n            stack = [i]\n    return best\n",
        "assert longest_balanced_substring('') == 0\nassert longest_balanced_substring('(()') == 2\n"
        "assert longest_balanced_substring(')()())') == 4\nassert longest_balanced_substring('()x()') == 2\n"
        "assert longest_balanced_substring('((()))()') == 8",
    ),
    (
        "digit_root_sum",
        "Write a Python function named `digit_root_sum` that returns the sum of the digital "
        "roots of every integer from 1 to `n` inclusive (n >= 0). The digital root of a positive "
        "integer is obtained by summing its digits repeatedly until one digit remains.",
        "def digit_root_sum(n):\n    return sum(1 + (k - 1) % 9 for k in range(1, n + 1))\n",
        "assert digit_root_sum(0) == 0\nassert digit_root_sum(1) == 1\nassert digit_root_sum(9) == 45\n"
        "assert digit_root_sum(10) == 46\nassert digit_root_sum(20) == 93",
    ),
    (
        "min_coins",
        "Write a Python function named `min_coins` that returns the minimum number of coins from "
        "the list `coins` (positive integers, unlimited supply) needed to make `amount` "
        "(amount >= 0), or -1 if it cannot be made. Zero amount needs zero coins.",
        "def min_coins(coins, amount):\n    best = [0] + [amount + 1] * amount\n"
        "    for value in range(1, amount + 1):\n        for coin in coins:\n"
        "            if coin <= value:\n                best[value] = min(best[value], best[value - coin] + 1)\n"
        "    return best[amount] if best[amount] <= amount else -1\n",
        "assert min_coins([1, 2, 5], 11) == 3\nassert min_coins([2], 3) == -1\nassert min_coins([7], 0) == 0\n"
        "assert min_coins([1, 3, 4], 6) == 2\nassert min_coins([5, 10], 1) == -1",
    ),
    (
        "count_islands_after_flips",
        "Write a Python function named `count_islands_after_flips` that takes the size `rows` x "
        "`cols` of an all-water grid and a list of cells `[r, c]` turned into land one by one, "
        "and returns the number of islands (4-connected land groups) after each flip. Flipping a "
        "cell that is already land leaves the count unchanged.",
        "def count_islands_after_flips(rows, cols, flips):\n    parent = {}\n\n    def find(x):\n"
        "        while parent[x] != x:\n            parent[x] = parent[parent[x]]\n            x = parent[x]\n"
        "        return x\n\n    counts = []\n    islands = 0\n    for r, c in flips:\n"
        "        if (r, c) in parent:\n            counts.append(islands)\n            continue\n"
        "        parent[(r, c)] = (r, c)\n        islands += 1\n"
        "        for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):\n"
        "            if (nr, nc) in parent:\n                a, b = find((r, c)), find((nr, nc))\n"
        "                if a != b:\n                    parent[a] = b\n                    islands -= 1\n"
        "        counts.append(islands)\n    return counts\n",
        "assert count_islands_after_flips(3, 3, []) == []\n"
        "assert count_islands_after_flips(3, 3, [[0, 0], [0, 1], [1, 2], [2, 1]]) == [1, 1, 2, 3]\n"
        "assert count_islands_after_flips(2, 2, [[0, 0], [1, 1], [0, 1]]) == [1, 2, 1]\n"
        "assert count_islands_after_flips(1, 1, [[0, 0], [0, 0]]) == [1, 1]",
    ),
    (
        "parse_duration",
        "Write a Python function named `parse_duration` that converts a duration string such as "
        "'1h30m', '45s' or '2h5s' into a number of seconds. Units are h, m and s, each at most "
        "once and in that order; raise ValueError for an empty or malformed string.",
        "import re\n\n\ndef parse_duration(text):\n"
        "    match = re.fullmatch(r'(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?', text or '')\n"
        "    if not text or not match:\n        raise ValueError(text)\n"
        "    hours, minutes, seconds = (int(g or 0) for g in match.groups())\n"
        "    return hours * 3600 + minutes * 60 + seconds\n",
        "assert parse_duration('1h30m') == 5400\nassert parse_duration('45s') == 45\n"
        "assert parse_duration('2h5s') == 7205\nassert parse_duration('10m') == 600\n"
        "try:\n    parse_duration('5m1h')\n    raised = False\nexcept ValueError:\n    raised = True\n"
        "assert raised",
    ),
    (
        "elevator_stops",
        "Write a Python function named `elevator_stops` that simulates an elevator starting at "
        "floor `start` serving a list of requested floors: it keeps moving in its current "
        "direction (initially up) while any request lies ahead, stopping at each requested floor "
        "on the way, then reverses. Return the floors in the order they are served, each once.",
        "def elevator_stops(start, requests):\n    pending = set(requests)\n    order = []\n"
        "    floor, up = start, True\n    if floor in pending:\n        pending.discard(floor)\n"
        "        order.append(floor)\n    while pending:\n"
        "        ahead = [f for f in pending if (f > floor if up else f < floor)]\n"
        "        if not ahead:\n            up = not up\n            continue\n"
        "        floor = min(ahead) if up else max(ahead)\n        pending.discard(floor)\n"
        "        order.append(floor)\n    return order\n",
        "assert elevator_stops(5, []) == []\nassert elevator_stops(5, [7, 2, 9]) == [7, 9, 2]\n"
        "assert elevator_stops(5, [3, 1]) == [3, 1]\nassert elevator_stops(4, [4, 6, 6]) == [4, 6]\n"
        "assert elevator_stops(0, [2, 1, 3]) == [1, 2, 3]",
    ),
]
BUGGY = {
    "digit_root_sum": "def digit_root_sum(n):\n    return sum(k % 9 for k in range(1, n + 1))\n"
}


class DemoResponder:
    def __call__(self, request: dict) -> str:
        messages = request["messages"]
        prompt = messages[1]["content"]
        number = re.search(r"Problem number (\d+)", prompt)
        if number:
            name, statement, _, _ = PROBLEMS[int(number.group(1)) - 1]
            return json.dumps(
                {
                    "function_name": name,
                    "query_text": f"{statement}\n\nLanguage: Python. Function name: {name}",
                }
            )
        name, _, solution, tests = next(p for p in PROBLEMS if f"`{p[0]}`" in prompt)
        first_try = not any(m["role"] == "assistant" for m in messages)
        if first_try and name in BUGGY:
            solution = BUGGY[name]
        return json.dumps({"reference_answer": solution, "assertions": tests})


def record(out: Path | None = None) -> Path:
    out = out or demo_replies_path()
    config = demo_config(replay_delay=0)
    config.offline, config.replay_file = False, None
    with tempfile.TemporaryDirectory() as folder, FakeOpenAI(responder=DemoResponder()) as server:
        db = Path(folder) / "record.db"
        config.base_url = server.url
        summary = run_job(db, config)
        assert summary.passed == len(PROBLEMS), summary
        with sqlite3.connect(db) as conn:
            rows = conn.execute(
                "SELECT key, model, response FROM llm_cache ORDER BY key"
            ).fetchall()
    with open(out, "w", encoding="utf-8") as handle:
        for key, model, response in rows:
            entry = {"key": key, "model": model, "response": json.loads(response)}
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return out


if __name__ == "__main__":
    print(f"recorded {record()}")
