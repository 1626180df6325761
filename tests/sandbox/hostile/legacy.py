"""The corpus the first hostile test carried (moved here unchanged but for the names):
exits before the asserts, objects equal to everything, forged channel records,
bombs, loops, signals, daemons, tampering with the work dir. Case names keep their
old spelling behind the `legacy_` prefix; the host-effect cases of that file (a secret
in the environment and under /proc, writes outside the work dir) live in host.py,
where their marker paths are made."""

from __future__ import annotations

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


CASES: dict[str, tuple[str, str, str]] = {
    **{f"legacy_{k}": ("python", *v) for k, v in PY.items()},
    **{f"legacy_{k}": ("javascript", *v) for k, v in NODE.items()},
    **{f"legacy_{k}": ("go", *v) for k, v in GO.items()},
}
DESTRUCTIVE = {"legacy_fork_bomb", "legacy_kill_parent_and_everyone"}
