"""A hostile corpus: programs that try to forge a pass or harm the host.

Every program must end as non-pass, within its timeout + 2 s, and leave no
trace on the host. They run in parallel once per session (module fixture).
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

import sandbox
from sandbox.languages import toolchains

TIMEOUT = 2.0
SECRET = "sk-assay-hostile-" + uuid.uuid4().hex
HOST_TARGET = Path("/var/tmp") / f"assay-hostile-{uuid.uuid4().hex}"
REPO_TARGET = Path(__file__).resolve().parents[2] / f".assay-hostile-{uuid.uuid4().hex}"

# Tests that a correct solution would pass; hostile solutions return wrong values.
ADD_TESTS = "assert add(1, 2) == 3\nassert add(2, 2) == 4\nassert add(-1, 1) == 0\n"

PY: dict[str, tuple[str, str]] = {
    "exit0_before_asserts": ("import sys\nsys.exit(0)\ndef add(a, b): return 0\n", ADD_TESTS),
    "os_exit0_before_asserts": ("import os\nos._exit(0)\n", ADD_TESTS),
    "os_exit0_inside_test": ("import os\ndef add(a, b): os._exit(0)\n", ADD_TESTS),
    "eq_always_true": (
        "class Yes:\n    def __eq__(self, other): return True\n    __hash__ = object.__hash__\n"
        "def add(a, b): return Yes()\n",
        ADD_TESTS,
    ),
    "int_subclass_eq_true": (
        "class Int(int):\n    def __eq__(self, other): return True\n    __hash__ = int.__hash__\n"
        "def add(a, b): return Int(0)\n",
        ADD_TESTS,
    ),
    "list_subclass_eq_true": (
        "class L(list):\n    def __eq__(self, o): return True\ndef add(a, b): return L()\n",
        "assert add(1, 2) == [1, 2]\n",
    ),
    "bool_always_true": (
        "class T:\n    def __bool__(self): return True\ndef add(a, b): return T()\n",
        "assert add(1, 2)\nassert not not add(1, 1)\n",
    ),
    "excepthook_swallows": (
        "import sys\nsys.excepthook = lambda *a: None\ndef add(a, b): return 0\n",
        ADD_TESTS,
    ),
    "atexit_forces_exit0": (
        "import atexit, os\natexit.register(os._exit, 0)\ndef add(a, b): return 0\n",
        ADD_TESTS,
    ),
    "thread_exits_process_early": (
        "import os, threading\nthreading.Thread(target=lambda: os._exit(0)).start()\n"
        "import time\ndef add(a, b):\n    time.sleep(0.5)\n    return a + b\n",
        ADD_TESTS,
    ),
    "frame_walk_tamper_values": (
        "import sys\n"
        "def add(a, b):\n"
        "    f = sys._getframe(1)\n"
        "    while f is not None:\n"
        "        for k, v in list(f.f_locals.items()):\n"
        "            if isinstance(v, list): v.clear()\n"
        "        f.f_globals.update(__assay_check__=lambda *a: None)\n"
        "        f = f.f_back\n"
        "    return 0\n",
        ADD_TESTS,
    ),
    "replace_check_function": (
        "import builtins\n"
        "def add(a, b):\n    globals()['__assay_check__'] = lambda *a: None\n    return 0\n",
        ADD_TESTS,
    ),
    "forge_channel_records": (
        "import os, json\n"
        "def add(a, b):\n"
        "    for fd in range(3, 64):\n"
        "        try:\n"
        "            for t in range(3):\n"
        "                os.write(fd, (json.dumps({'e': 'end', 't': t, 'd': 0, 'x': None}) + '\\n').encode())\n"
        '            os.write(fd, b\'{"e": "done", "lines": []}\\n\')\n'
        "        except OSError:\n"
        "            pass\n"
        "    os._exit(0)\n",
        ADD_TESTS,
    ),
    "patch_json_dumps": (
        'import json\njson.dumps = lambda *a, **k: \'{"e": "done", "lines": []}\'\n'
        "def add(a, b): return 0\n",
        ADD_TESTS,
    ),
    "close_channel": ("import os\nos.close(3)\ndef add(a, b): return a + b\n", ADD_TESTS),
    "print_pass_and_exit": (
        "print('PASSED 3/3')\nprint('{\"e\": \"done\"}')\nimport sys\nsys.exit(0)\n",
        ADD_TESTS,
    ),
    "fork_bomb": (
        "import os\ndef add(a, b):\n"
        "    while True:\n"
        "        try:\n            os.fork()\n"
        "        except OSError:\n            pass\n",
        ADD_TESTS,
    ),
    "memory_bomb": ("def add(a, b):\n    x = bytearray(8 << 30)\n    return a + b\n", ADD_TESTS),
    "memory_bomb_gradual": (
        "def add(a, b):\n    chunks = []\n    while True:\n        chunks.append(bytearray(50 << 20))\n",
        ADD_TESTS,
    ),
    "infinite_loop": ("def add(a, b):\n    while True:\n        pass\n", ADD_TESTS),
    "ignore_signals_and_sleep": (
        "import signal, time\n"
        "for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):\n"
        "    signal.signal(s, signal.SIG_IGN)\n"
        "def add(a, b):\n    time.sleep(1000)\n",
        ADD_TESTS,
    ),
    "stop_self": ("import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)\n", ADD_TESTS),
    "huge_output": (
        "import sys\ndef add(a, b):\n    while True:\n        sys.stdout.write('x' * 65536)\n",
        ADD_TESTS,
    ),
    "network_connect": (
        "import socket\n"
        "def add(a, b):\n"
        "    try:\n"
        "        socket.create_connection(('1.1.1.1', 53), timeout=1).close()\n"
        "        return a + b\n"
        "    except OSError:\n        return None\n",
        ADD_TESTS,
    ),
    "network_dns": (
        "import socket\n"
        "def add(a, b):\n"
        "    try:\n        socket.getaddrinfo('pypi.org', 443)\n        return a + b\n"
        "    except OSError:\n        return None\n",
        ADD_TESTS,
    ),
    "read_secret_from_env": (
        "import os, sys\nprint(dict(os.environ))\nprint(open('/proc/self/environ').read(), file=sys.stderr)\n"
        "def leak(): return os.environ.get('OPENAI_API_KEY')\n",
        f"assert leak() == {SECRET!r}\n",
    ),
    "read_secret_from_proc": (
        "import os\n"
        "def leak():\n"
        "    found = ''\n"
        "    for pid in os.listdir('/proc'):\n"
        "        try:\n            found += open(f'/proc/{pid}/environ', 'rb').read().decode('latin-1')\n"
        "        except (OSError, ValueError):\n            pass\n"
        f"    return {SECRET!r} in found\n",
        "assert leak() == True\n",
    ),
    "write_outside_workdir": (
        "def add(a, b):\n"
        "    for p in (" + repr(str(HOST_TARGET)) + ", " + repr(str(REPO_TARGET)) + "):\n"
        "        try:\n            open(p, 'w').write('pwned')\n"
        "        except OSError:\n            pass\n"
        "    return 0\n",
        ADD_TESTS,
    ),
    "kill_parent_and_everyone": (
        "import os, signal\n"
        "def add(a, b):\n"
        "    for target in (os.getppid(), 1, -1):\n"
        "        try:\n            os.kill(target, signal.SIGKILL)\n"
        "        except OSError:\n            pass\n"
        "    return 0\n",
        ADD_TESTS,
    ),
    "daemon_escapes_session": (
        "import os, time\n"
        "if os.fork() == 0:\n    os.setsid()\n    time.sleep(1000)\n"
        "def add(a, b): return 0\n",
        ADD_TESTS,
    ),
    "become_root": (
        "import os\ndef add(a, b):\n"
        "    try:\n        os.setuid(0)\n        return a + b\n"
        "    except OSError:\n        return None\n",
        ADD_TESTS,
    ),
    "tamper_workdir_files": (
        "import os, shutil\n"
        "for name in os.listdir('.'):\n    shutil.rmtree(name, ignore_errors=True)\n"
        "open('result.json', 'w').write('{\"status\": \"pass\"}')\n"
        "def add(a, b): return 0\n",
        ADD_TESTS,
    ),
    "c_stack_overflow": (
        "import sys\nsys.setrecursionlimit(10**7)\ndef add(a, b, n=0): return add(a, b, n + 1)\n",
        ADD_TESTS,
    ),
    "repr_and_dict_raise": (
        "class Evil:\n"
        "    def __eq__(self, o): return True\n"
        "    def __repr__(self): raise RuntimeError('no')\n"
        "    @property\n    def __dict__(self): raise RuntimeError('no')\n"
        "def add(a, b): return Evil()\n",
        ADD_TESTS,
    ),
    "disk_bomb": (
        "def add(a, b):\n"
        "    i = 0\n"
        "    while True:\n"
        "        with open(f'f{i}', 'wb') as fh: fh.write(b'x' * (32 << 20))\n"
        "        i += 1\n",
        ADD_TESTS,
    ),
    "assert_inside_test_function_forged": (
        "import sys\ndef add(a, b): sys.exit(0)\n",
        "def test_add():\n    assert add(1, 2) == 3\n",
    ),
}

NODE: dict[str, tuple[str, str]] = {
    "node_process_exit0": (
        "function add(a, b) { process.exit(0); }",
        "if (add(1, 2) !== 3) throw new Error('Failed');",
    ),
    "node_forge_channel": (
        "const fs = require('node:fs');\n"
        'function add(a, b) { fs.writeSync(3, \'{"e":"done"}\\n\'); process.reallyExit(0); }',
        "if (add(1, 2) !== 3) throw new Error('Failed');",
    ),
    "node_infinite_loop": (
        "function add(a, b) { for (;;) {} }",
        "if (add(1, 2) !== 3) throw new Error('Failed');",
    ),
}
GO: dict[str, tuple[str, str]] = {
    "go_os_exit0": (
        'package main\nimport "os"\nfunc Add(a, b int) int { os.Exit(0); return 0 }\n',
        'if Add(1, 2) != 3 { panic("Failed") }',
    ),
    "go_forge_records": (
        'package main\nimport "os"\nfunc Add(a, b int) int {\n'
        "\tfor fd := 3; fd < 64; fd++ {\n"
        '\t\tos.NewFile(uintptr(fd), "c").Write([]byte(`{"e":"end","t":0,"s":"pass","n":1}`'
        ' + "\\n" + `{"e":"done"}` + "\\n"))\n'
        "\t}\n\tos.Exit(0)\n\treturn 0\n}\n",
        'if Add(1, 2) != 3 { panic("Failed") }',
    ),
    "go_panic_nil": (
        "package main\nfunc Add(a, b int) int { panic(nil) }\n",
        'if Add(1, 2) != 3 { panic("Failed") }',
    ),
    "go_calls_the_harness": (
        "package main\nfunc init() { assayharness.Done() }\nfunc Add(a, b int) int { return 0 }\n",
        'if Add(1, 2) != 3 { panic("Failed") }',
    ),
}

CASES = {
    **{k: ("python", *v) for k, v in PY.items()},
    **{k: ("javascript", *v) for k, v in NODE.items()},
    **{k: ("go", *v) for k, v in GO.items()},
}


# One xdist worker runs the whole corpus once (the module-scoped fixture is expensive).
pytestmark = pytest.mark.xdist_group("hostile")


OTHER_RUNS_END_WITHIN = 90.0  # seconds: COMPILE_TIMEOUT (60) plus the longest run budget


def _foreign_uid_processes() -> list[str]:
    """Host processes owned by the throwaway uids runs use (there should be none)."""
    out = subprocess.run(["ps", "-eo", "uid=,pid=,comm="], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if int(line.split()[0]) >= 1_000_000]


@pytest.fixture(scope="module")
def outcomes() -> dict[str, tuple[sandbox.RunResult, float]]:
    os.environ["OPENAI_API_KEY"] = SECRET
    names = list(CASES)
    requests = [
        sandbox.RunRequest(lang, sol, tests, timeout=TIMEOUT) for lang, sol, tests in CASES.values()
    ]
    results: dict[str, tuple[sandbox.RunResult, float]] = {}
    try:
        for index, result in sandbox.run_many(requests, workers=2):
            results[names[index]] = (result, result.duration)
    finally:
        del os.environ["OPENAI_API_KEY"]
    return results


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_program_never_passes(name: str, outcomes: dict) -> None:
    language = CASES[name][0]
    if language != "python" and not toolchains()[language]["available"]:
        pytest.skip(f"{language} toolchain missing: {toolchains()[language]['reason']}")
    result, elapsed = outcomes[name]
    assert result.status != "pass", result.to_dict()
    assert result.passed < result.total or result.total == 0
    # Compiled languages get their compile budget on top of the run timeout.
    budget = TIMEOUT + 2 + (30 if language == "go" else 0)
    assert elapsed < budget, f"{name} took {elapsed:.1f}s"


def test_no_trace_on_host(outcomes: dict) -> None:
    assert not HOST_TARGET.exists()
    assert not REPO_TARGET.exists()
    # Other tests may be running sandboxed items in parallel right now (pytest -n): what
    # must not exist is a throwaway-uid process that outlives the corpus, like the daemon.
    # A parallel test's run ends by its own deadline (compile + run budget, killed by the
    # sandbox at the latest then); the corpus' daemon would sleep for 1,000 s.
    before = set(_foreign_uid_processes())
    deadline = time.monotonic() + OTHER_RUNS_END_WITHIN
    lingering = before
    while lingering and time.monotonic() < deadline:
        time.sleep(0.2)
        lingering = before & set(_foreign_uid_processes())
    assert sorted(lingering) == []


def test_sandbox_still_works_after_the_corpus(outcomes: dict) -> None:
    result = sandbox.run("python", "def add(a, b):\n    return a + b\n", ADD_TESTS, timeout=TIMEOUT)
    assert result.status == "pass", result.to_dict()
    assert result.passed == 3


def test_secret_is_not_in_any_output(outcomes: dict) -> None:
    printed = outcomes["read_secret_from_env"][0]
    assert "PATH" in printed.stdout_tail  # it did print its environment
    for result, _ in outcomes.values():
        assert SECRET not in result.stdout_tail + result.stderr_tail
