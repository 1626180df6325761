"""Hostile JavaScript and TypeScript: solutions that try to forge a pass by reaching
the harness that shares their Node process (see sandbox/README.md, "JavaScript and
TypeScript"). Each solution is wrong; the tests are the kind honest items carry."""

from __future__ import annotations

THROW_TESTS = (
    "if (add(1, 2) !== 3) throw new Error('add(1, 2)');\n"
    "if (add(2, 2) !== 4) throw new Error('add(2, 2)');\n"
)
CONSOLE_TESTS = "const testAdd = () => {\n  console.assert(add(1, 2) === 3)\n}\ntestAdd()\n"
ASSERT_TESTS = (
    "const assert = require('node:assert');\n"
    "assert.strictEqual(add(1, 2), 3);\nassert.deepStrictEqual([add(2, 2)], [4]);\n"
)
ASYNC_TESTS = "if ((await add(1, 2)) !== 3) throw new Error('add(1, 2)');\n"
LATE_TESTS = "add(1, 2).then((r) => { if (r !== 3) throw new Error('add(1, 2)'); });\n"
JSON_TESTS = "if (JSON.stringify(pair(1)) !== JSON.stringify([1, 1])) throw new Error('pair(1)');\n"
WRONG = "function add(a, b) { return a - b; }\n"
WRONG_TS = "function add(a: number, b: number): number { return a - b; }\n"

JS: dict[str, tuple[str, str]] = {
    # The harness's API is out of the solution's scope: no name reaches it, even by eval.
    "console_assert_counts_through_harness": (
        "console.assert = function (c) { try { eval('__as' + 'say').hit(); } catch {} };\n" + WRONG,
        CONSOLE_TESTS,
    ),
    "shadow_console_with_harness_hit": (
        "const console = { assert() { eval('__as' + 'say').hit(); }, log() {} };\n" + WRONG,
        CONSOLE_TESTS,
    ),
    "calls_the_tests_function_itself": (
        "const run = eval('__assay_' + 'tests');\ntry { run(); } catch {}\n" + WRONG,
        THROW_TESTS,
    ),
    "calls_the_harness_run_first": (
        "let api; try { api = eval('__assay_' + 'run')(); } catch {}\n"
        "if (api) { api.test(0, () => api.hit()); api.test(1, () => api.hit()); }\n" + WRONG,
        THROW_TESTS,
    ),
    "walks_callers_for_the_harness": (
        "function add(a, b) {\n"
        "  for (let f = add.caller; f; f = f.caller) {\n"
        "    try { for (const x of f.arguments) if (x && x.hit) { x.hit(); } } catch {}\n"
        "  }\n  return a - b;\n}\n",
        THROW_TESTS,
    ),
    "reinstalls_the_harness_from_module_children": (
        "try {\n"
        "  const h = module.children.find((m) => String(m.id).endsWith('harness.cjs'));\n"
        "  let api;\n  const run = h.exports(function () { api = run(); }, module, [], []);\n"
        "  run();\n"
        "  if (api) { api.test(0, () => api.hit()); api.test(1, () => api.hit()); process.exit(0); }\n"
        "} catch {}\n" + WRONG,
        THROW_TESTS,
    ),
    # Node's intrinsics are frozen before the solution runs.
    "json_stringify_patched": (
        "JSON.stringify = () => 'same';\nfunction pair(x) { return [x, 0]; }\n",
        JSON_TESTS,
    ),
    "json_shadowed_at_top_level": (
        "var JSON = { stringify: () => 'same' };\nfunction pair(x) { return [x, 0]; }\n",
        JSON_TESTS,
    ),
    "undefined_shadowed": (
        "var undefined = 0;\nfunction find(xs) { return 0; }\n",
        "if (find([]) !== undefined) throw new Error('find([])');\n",
    ),
    "map_set_patched_to_store_actual": (
        "const set = Map.prototype.set;\n"
        "Map.prototype.set = function (k, v) { return set.call(this, k, add(...k)); };\n" + WRONG,
        "const cases = new Map();\ncases.set([1, 2], 3);\ncases.set([2, 2], 4);\n"
        "for (const [args, want] of cases) { if (add(...args) !== want) throw new Error('x'); }\n",
    ),
    "object_prototype_tojson_rewrites_records": (
        "Object.prototype.toJSON = function () {\n"
        "  if (this.e === 'end') return { ...this, x: null, n: 1 };\n  return this;\n};\n" + WRONG,
        THROW_TESTS,
    ),
    "reflect_apply_swallows_asserts": (
        "Reflect.apply = () => undefined;\nglobalThis.Reflect = { apply: () => undefined };\n"
        + WRONG,
        ASSERT_TESTS,
    ),
    "promise_then_routes_rejection_to_success": (
        "const then = Promise.prototype.then;\n"
        "Promise.prototype.then = function (ok, bad) { return then.call(this, ok, ok); };\n"
        "async function add(a, b) { return a - b; }\n",
        ASYNC_TESTS,
    ),
    "util_is_deep_strict_equal_patched": (
        "require('util').isDeepStrictEqual = () => true;\n" + WRONG,
        "const util = require('util');\n"
        "if (!util.isDeepStrictEqual(add(1, 2), 3)) throw new Error('add(1, 2)');\n",
    ),
    "assert_module_patched": (
        "const a = require('assert');\n"
        "for (const k of Object.keys(a)) a[k] = () => {};\n"
        "a.strict.strictEqual = () => {};\n" + WRONG,
        ASSERT_TESTS,
    ),
    # The channel: records carry a nonce the solution cannot read, in sequence.
    "forges_records_with_guessed_nonce": (
        "const fs = require('fs');\nlet k = '';\n"
        "try { k = fs.readFileSync('.assay-nonce', 'utf8'); } catch {}\n"
        "const line = (q, r) => JSON.stringify({ k, q, ...r }) + '\\n';\n"
        "fs.writeSync(3, line(0, { e: 'begin', t: 0 }) + line(1, { e: 'begin', t: 1 })"
        " + line(2, { e: 'end', t: 0, n: 1, x: null, subs: [], d: 0 })"
        " + line(3, { e: 'end', t: 1, n: 1, x: null, subs: [], d: 0 }) + line(4, { e: 'done' }));\n"
        "process.reallyExit(0);\n" + WRONG,
        THROW_TESTS,
    ),
    "fs_binding_rewrites_records": (
        "const b = process.binding('fs');\nconst w = b.writeString;\n"
        "b.writeString = function (fd, s, ...r) {\n"
        '  if (fd === 3) s = s.replace(/"x":\\{[^}]*\\}/, \'"x":null\');\n'
        "  return w.call(this, fd, s, ...r);\n};\n" + WRONG,
        THROW_TESTS,
    ),
    "fs_writesync_patched": (
        "const fs = require('fs');\nconst w = fs.writeSync;\n"
        "fs.writeSync = (fd, s, ...r) => w(fd, fd === 3 ? String(s).replace('\"x\":{', '\"y\":{') : s, ...r);\n"
        + WRONG,
        THROW_TESTS,
    ),
    "heap_snapshot_finds_nonce": (
        "let found = '';\n"
        "try {\n  const v8 = require('v8');\n  const s = v8.getHeapSnapshot();\n"
        "  let chunk; let all = '';\n  while ((chunk = s.read()) !== null) all += chunk;\n"
        "  found = (all.match(/[0-9a-f]{32}/) || [''])[0];\n} catch {}\n"
        "require('fs').writeSync(3, JSON.stringify({ k: found, q: 0, e: 'done' }) + '\\n');\n"
        + WRONG,
        THROW_TESTS,
    ),
    "reads_proc_self_mem_for_nonce": (
        "let k = '';\n"
        "try {\n  const fs = require('fs');\n"
        "  const maps = fs.readFileSync('/proc/self/maps', 'utf8');\n"
        "  const fd = fs.openSync('/proc/self/mem', 'r');\n"
        "  for (const line of maps.split('\\n')) {\n"
        "    const m = /^([0-9a-f]+)-([0-9a-f]+) rw/.exec(line);\n    if (!m) continue;\n"
        "    const buf = Buffer.alloc(Math.min(parseInt(m[2], 16) - parseInt(m[1], 16), 1 << 22));\n"
        "    try { fs.readSync(fd, buf, 0, buf.length, parseInt(m[1], 16)); } catch { continue; }\n"
        '    const hit = /"k":"([0-9a-f]{32})"/.exec(buf.toString(\'latin1\'));\n'
        "    if (hit) { k = hit[1]; break; }\n  }\n} catch {}\n"
        "require('fs').writeSync(3, JSON.stringify({ k, q: 0, e: 'done' }) + '\\n');\n"
        "process.reallyExit(0);\n" + WRONG,
        THROW_TESTS,
    ),
    # Failures that happen late, or never finish.
    "rejection_listeners_swallow": (
        "process.removeAllListeners('unhandledRejection');\n"
        "process.removeAllListeners('uncaughtException');\n"
        "process.on('unhandledRejection', () => {});\nprocess.on('uncaughtException', () => {});\n"
        "try { process.setUncaughtExceptionCaptureCallback(null); } catch {}\n"
        "async function add(a, b) { return a - b; }\n",
        LATE_TESTS,
    ),
    "capture_callback_replaced": (
        "try { process.setUncaughtExceptionCaptureCallback(null); } catch {}\n"
        "try { process.setUncaughtExceptionCaptureCallback(() => {}); } catch {}\n"
        "async function add(a, b) { return a - b; }\n",
        LATE_TESTS,
    ),
    "async_local_storage_patched": (
        "const { AsyncLocalStorage } = require('async_hooks');\n"
        "const run = AsyncLocalStorage.prototype.run;\n"
        "AsyncLocalStorage.prototype.run = function (store, fn, ...a) {\n"
        "  try { Object.defineProperty(store, 'fail', { get: () => null, set() {} }); } catch {}\n"
        "  return run.call(this, store, fn, ...a);\n};\n" + WRONG,
        THROW_TESTS,
    ),
    "promise_never_settles": (
        "function add(a, b) { return new Promise(() => {}); }\n",
        ASYNC_TESTS,
    ),
    "node_test_promise_never_settles": (
        "function add(a, b) { return new Promise(() => {}); }\n",
        "const test = require('node:test');\nconst assert = require('node:assert');\n"
        "test('adds', async () => { assert.equal(await add(1, 2), 3); });\n",
    ),
    "process_exit0_inside_test": (
        "function add(a, b) { process.exitCode = 0; process.exit(0); }\n",
        THROW_TESTS,
    ),
    "exit0_drops_a_late_assertion": (
        "function add(a, b) { setImmediate(() => process.exit(0)); return a - b; }\n",
        "{ console.assert(add(1, 1) === 0);\n"
        "  setTimeout(() => console.assert(add(1, 2) === 3), 50); }\n",
    ),
    "process_exit_replaced": (
        "try { process.exit = () => {}; } catch {}\n"
        "try { Object.defineProperty(process, 'exit', { value: () => {} }); } catch {}\n" + WRONG,
        "if (add(1, 2) !== 3) process.exit(1);\n",
    ),
    "top_level_return_skips_tests": ("return;\n" + WRONG, THROW_TESTS),
    "escaped_require_hoisted_with_forged_records": (
        "function \\u0072equire(id) {\n"
        "  const fs = process.getBuiltinModule('fs');\n  let k = '';\n"
        "  try { k = fs.readFileSync('.assay-nonce', 'utf8'); } catch {}\n"
        "  let q = 0;\n"
        "  const send = (r) => fs.writeSync(3, JSON.stringify({ k, q: q++, ...r }) + '\\n');\n"
        "  const api = { test(t) { send({ e: 'begin', t });"
        " send({ e: 'end', t, n: 1, x: null, subs: [], d: 0 }); },\n"
        "    hit() {}, share() {}, require() {}, g: { Error } };\n"
        "  process.on('exit', () => send({ e: 'done' }));\n"
        "  return (tests) => { let s = 0; return () => (s++ ? api : void tests()); };\n}\n" + WRONG,
        THROW_TESTS,
    ),
    "require_hoisted_over_harness": (
        "function require(id) {\n"
        "  return () => () => ({ test() {}, hit() {}, g: {}, require() {} });\n}\n" + WRONG,
        THROW_TESTS,
    ),
}

TS: dict[str, tuple[str, str]] = {
    "console_assert_counts_through_harness": (
        "(console as any).assert = (c: unknown) => { try { eval('__as' + 'say').hit(); } catch {} };\n"
        + WRONG_TS,
        CONSOLE_TESTS,
    ),
    "json_shadowed_at_top_level": (
        "var JSON: any = { stringify: (): string => 'same' };\n"
        "function pair(x: number): number[] { return [x, 0]; }\n",
        JSON_TESTS,
    ),
    "promise_then_routes_rejection_to_success": (
        "const then = Promise.prototype.then;\n"
        "(Promise.prototype as any).then = function (this: any, ok: any) { return then.call(this, ok, ok); };\n"
        "async function add(a: number, b: number): Promise<number> { return a - b; }\n",
        ASYNC_TESTS,
    ),
    "forges_records_with_guessed_nonce": (
        "import * as fs from 'fs';\n"
        "fs.writeSync(3, JSON.stringify({ k: '', q: 0, e: 'done' }) + '\\n');\n"
        "(process as any).reallyExit(0);\n" + WRONG_TS,
        THROW_TESTS,
    ),
    "rejection_listeners_swallow": (
        "process.removeAllListeners('unhandledRejection');\n"
        "process.on('unhandledRejection', () => {});\n"
        "async function add(a: number, b: number): Promise<number> { return a - b; }\n",
        LATE_TESTS,
    ),
    "promise_never_settles": (
        "function add(a: number, b: number): Promise<number> { return new Promise(() => {}); }\n",
        ASYNC_TESTS,
    ),
    "assert_module_patched": (
        "import assert from 'assert';\n"
        "(assert as any).strictEqual = () => {};\n(assert as any).deepStrictEqual = () => {};\n"
        + WRONG_TS,
        "import assert from 'assert';\n"
        "assert.strictEqual(add(1, 2), 3);\nassert.deepStrictEqual([add(2, 2)], [4]);\n",
    ),
    "map_set_patched_to_store_actual": (
        "const set = Map.prototype.set;\n"
        "(Map.prototype as any).set = function (this: any, k: number[], v: number) {\n"
        "  return set.call(this, k, add(k[0], k[1]));\n};\n" + WRONG_TS,
        "const cases = new Map<number[], number>();\ncases.set([1, 2], 3);\n"
        "for (const [args, want] of cases) { if (add(args[0], args[1]) !== want) throw new Error('x'); }\n",
    ),
}

CASES: dict[str, tuple[str, str, str]] = {
    **{f"javascript_{k}": ("javascript", *v) for k, v in JS.items()},
    **{f"javascript_ts_{k}": ("typescript", *v) for k, v in TS.items()},
}
