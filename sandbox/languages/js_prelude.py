"""The harness module that runs an item's tests in Node and reports on fd 3.

It is a module of its own (`assay_harness.cjs`), loaded by the first line of the
program before any item code, in strict mode, with Node's intrinsics frozen
(`--frozen-intrinsics`) and `process.binding` denied (`--permission`). At load it
captures every function it will call later, reads and deletes the run's nonce file,
locks `process.exit` and the uncaught-exception capture callback, and disables heap
snapshots and V8 flags. It hands its API to the tests function once, at the moment the
program calls it after the solution: the solution never holds it (see
`javascript._program_source`).

Records (one JSON object a line, each `{"k": nonce, "q": sequence, "e": ...}`): `begin
{t}` when test statement t starts; `missing {p}` when a module is not installed;
`setup_error {m}` for a failure outside any test; at exit, `end {t, d, n, x, subs}` for
every begun test (n: assertions evaluated, x: its first failure or null, subs: its
node:test tests) and `done`. A test whose promise never settled ends with an error.

Counted as an assertion: the tests' `console.assert` (a failed one fails its test and
throws: Node itself only prints), a call of the tests' `assert` module (`require('assert')`,
`node:assert`, `assert/strict` all give a counting wrapper), `__assay.hit()` (the
condition of an `if` that guards a `throw` in the tests). `node:test` is replaced by a
shim that runs `test()`/`it()`/`describe()` in order, with hooks, `t.test` subtests,
async and `done`-callback tests, and reports each test.
"""

HARNESS_FILE = "assay_harness.cjs"
NONCE_FILE = ".assay-nonce"

HARNESS = r"""'use strict';
// Everything below is captured now, before any item code runs; intrinsics are frozen.
const G = globalThis;
const { Reflect: R, Object: O, JSON: J, Error: E, Array: A, Set: S, Promise: P, String: Str, Number: Num } = G;
const apply = R.apply, defineProperty = R.defineProperty, hasOwn = O.hasOwn, create = O.create;
const freeze = O.freeze, keys = O.keys, stringify = J.stringify, isArray = A.isArray;
const proc = process;
const fs = proc.getBuiltinModule('node:fs');
const { AsyncLocalStorage } = proc.getBuiltinModule('node:async_hooks');
const Module = proc.getBuiltinModule('node:module');
const realAssert = proc.getBuiltinModule('node:assert');
const v8 = proc.getBuiltinModule('node:v8');
const writeSync = fs.writeSync, realRequire = Module.prototype.require, moduleCache = Module._cache;
const realExit = proc.exit, on = proc.on, perf = G.performance, perfNow = perf.now;
const setCapture = proc.setUncaughtExceptionCaptureCallback, activeResources = proc.getActiveResourcesInfo;
const realConsole = G.console;
const now = () => apply(perfNow, perf, []);

let nonce = '';
try {
  nonce = fs.readFileSync(__dirname + '/.assay-nonce', 'utf8');
  fs.unlinkSync(__dirname + '/.assay-nonce');
} catch {}
let seq = 0, closed = false;
// Records are built from primitives here: no toJSON, getter or prototype of item code runs.
const ser = (v) => {
  if (v === null || v === undefined) return 'null';
  const t = typeof v;
  if (t === 'string' || t === 'number' || t === 'boolean') return stringify(v);
  if (isArray(v)) { let s = '['; for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + ser(v[i]); return s + ']'; }
  let s = '{', first = true;
  for (const k of keys(v)) { s += (first ? '' : ',') + stringify(k) + ':' + ser(v[k]); first = false; }
  return s + '}';
};
const send = (e, fields) => {
  if (closed) return;
  let s = '{"k":' + stringify(nonce) + ',"q":' + (seq++) + ',"e":' + stringify(e);
  if (fields) for (const k of keys(fields)) s += ',' + stringify(k) + ':' + ser(fields[k]);
  writeSync(3, s + '}\n');
};
const rec = (pairs) => { const o = create(null); for (const k of keys(pairs)) o[k] = pairs[k]; return o; };

// Item code gets no heap snapshot (the nonce is a string on the heap) and no V8 flags.
const denied = (name) => function () { throw new E('v8.' + name + ' is not available in the sandbox'); };
for (const name of ['getHeapSnapshot', 'writeHeapSnapshot', 'setFlagsFromString', 'queryObjects', 'setHeapSnapshotNearHeapLimit']) {
  try { defineProperty(v8, name, { value: denied(name), writable: false, configurable: false, enumerable: true }); } catch {}
}
try { Module.syncBuiltinESMExports(); } catch {}
freeze(AsyncLocalStorage.prototype);
freeze(AsyncLocalStorage);
const als = new AsyncLocalStorage();
const current = () => als.getStore();

const slots = [];
const FAILS = new S(['Error', 'AssertionError']);
const describeError = (e) => {
  let m = '(unprintable)', type = 'Error', isError = true;
  try { isError = e instanceof E; } catch {}
  try { m = Str(isError ? e.message : e); } catch {}
  try { type = isError ? Str(e.name) : typeof e; } catch {}
  // A thrown non-Error (throw 'wrong') is a test's own failure signal.
  return rec({ k: !isError || FAILS.has(type) ? 'fail' : 'error', type, m: m.slice(0, 1000) });
};
const record = (c, e) => {
  if (!c) return void send('setup_error', { m: 'an assertion failed outside any test' });
  if (c.fail) return;
  c.fail = rec({ k: 'fail', type: 'Error', m: '(unprintable)' });  // failed, whatever describing does
  c.fail = describeError(e);
};
// A subtest's assertions are its parent test's too (t.test inside a test).
const bump = (c) => { for (let x = c; x; x = x.up) x.n++; };
const count = () => bump(current());
const uncaught = (e) => {
  const c = current();
  if (c) return record(c, e);
  const d = describeError(e);
  send('setup_error', { m: 'uncaught outside a test: ' + d.type + ': ' + d.m });
};
// Uncaught exceptions and (with --unhandled-rejections=strict) rejections come here;
// item code cannot unset it or add listeners that swallow them first.
let installed = false;
// Before the program's first line ran, an error is the program not compiling (a
// SyntaxError, TypeScript that cannot be stripped): reported as Node would, no record.
const notCompiled = (e) => {
  let text = '';
  try { text = Str(e && e.stack ? e.stack : e) + (e && e.code ? '\n  code: ' + Str(e.code) : ''); } catch {}
  try { writeSync(2, text + '\n'); } catch {}
  closed = true;
  apply(realExit, proc, [1]);
};
apply(setCapture, proc, [(e) => { try { if (installed) uncaught(e); else notCompiled(e); } catch {} }]);
const lock = (obj, name, value) => defineProperty(obj, name, { value, writable: false, configurable: false, enumerable: true });
lock(proc, 'setUncaughtExceptionCaptureCallback', function () { throw new E('the sandbox owns the uncaught exception callback'); });
lock(proc, 'reallyExit', proc.reallyExit);

const consoleAssert = function assert(cond, ...msg) {
  count();
  if (!cond) {
    let text = '';
    try { for (const x of msg) text += ' ' + Str(x); } catch {}
    const e = new E('console.assert failed' + (msg.length ? ':' + text : ''));
    e.name = 'AssertionError';
    record(current(), e);
    throw e;
  }
};
const testConsole = freeze(create(realConsole, { assert: { value: consoleAssert, enumerable: true } }));

// node:assert, counting each call; a failure inside another assertion (assert.throws
// around a failing assert) belongs to the outer one.
let depth = 0;
const guard = (fn) => function (...args) {
  const c = current();
  bump(c);
  depth++;
  let r;
  try { r = apply(fn, this, args); }
  catch (e) { if (depth === 1) record(c, e); throw e; }
  finally { depth--; }
  if (r instanceof P) return r.then(undefined, (e) => { record(c, e); throw e; });
  return r;
};
const wrap = (mod) => {
  const w = guard(mod);
  for (const key of R.ownKeys(mod)) {
    if (key === 'strict' || key === 'prototype' || key === 'length' || key === 'name') continue;
    const v = mod[key];
    w[key] = typeof v === 'function' && typeof key === 'string' && /^[a-z]/.test(key) ? guard(v) : v;
  }
  return w;
};
const assertShim = wrap(realAssert), strictShim = wrap(realAssert.strict);
assertShim.strict = strictShim; strictShim.strict = strictShim;
freeze(assertShim); freeze(strictShim);

// node:test
let chain = P.resolve(), collecting = null;
const rootHooks = { before: [], after: [], beforeEach: [], afterEach: [] };
const parse = (args) => {
  let name, opts = {}, fn;
  for (const a of args) {
    if (typeof a === 'string') name = a;
    else if (typeof a === 'function') fn = a;
    else if (a && typeof a === 'object') opts = a;
  }
  let fname = '';
  try { fname = fn ? Str(fn.name) : ''; } catch {}
  return { name: name ?? (fname || '<anonymous>'), opts, fn };
};
const flag = (opts, key) => { try { return Boolean(opts[key]); } catch { return false; } };
const enqueue = (slot, run) => { const p = chain.then(run); chain = p; slot.pending.push(p); return p; };
const jobsOf = (suite) => suite.items.flatMap((i) => (i.items ? jobsOf(i) : [i]));
const callHook = async (fn, c) => { await als.run(c, () => fn(context(c))); };
const invoke = (fn, sub) => {
  const t = context(sub);
  if (fn.length < 2) return fn(t);
  return new P((resolve, reject) => {
    const r = fn(t, (err) => (err ? reject(err) : resolve()));
    if (r instanceof P) r.then(undefined, reject);
  });
};
const runTest = async (job, each) => {
  const { sub, fn } = job;
  if (sub.state !== 'pending') return;
  sub.state = 'running';
  const started = now();
  try {
    for (const h of each.flatMap((x) => x.beforeEach)) await callHook(h, sub);
    if (fn) await als.run(sub, () => invoke(fn, sub));
    while (sub.kids.length) await P.all(sub.kids.splice(0));
    for (const h of each.toReversed().flatMap((x) => x.afterEach)) await callHook(h, sub);
  } catch (e) { record(sub, e); }
  sub.d = (now() - started) / 1000;
  sub.state = sub.skipped ? 'skipped' : 'done';
};
const ctx = (fields) => { const c = create(null); c.n = 0; c.fail = null; c.kids = []; for (const k of keys(fields)) c[k] = fields[k]; return c; };
const runSuite = async (suite, each) => {
  const jobs = jobsOf(suite);
  const failAll = (e) => { for (const j of jobs) { record(j.sub, e); if (j.sub.state === 'pending') j.sub.state = 'done'; } };
  if (suite.skip) { for (const j of jobs) j.sub.state = 'skipped'; return; }
  if (suite.error) return failAll(suite.error);
  const hookCtx = ctx({ slot: suite.slot, name: suite.name });
  try { for (const h of suite.hooks.before) await callHook(h, hookCtx); } catch (e) { record(hookCtx, e); }
  if (hookCtx.fail) return failAll(hookCtx.fail.m);
  const mine = [...each, suite.hooks];
  for (const item of suite.items) await (item.items ? runSuite(item, mine) : runTest(item, mine));
  try { for (const h of suite.hooks.after) await callHook(h, hookCtx); } catch (e) { record(hookCtx, e); }
  if (hookCtx.fail) failAll(hookCtx.fail.m);
};
const register = (kind, args, flags) => {
  const { name, opts, fn } = parse(args);
  const here = current();
  if (!here) {
    send('setup_error', { m: kind + '() called outside a test statement' });
    return P.resolve();
  }
  const slot = here.slot || here;
  const outer = collecting;
  const prefix = outer ? outer.name : (here.slot ? here.name : '');
  const full = prefix ? prefix + ' > ' + name : name;
  const skip = Boolean(flags.skip || flags.todo || flag(opts, 'skip') || flag(opts, 'todo'));
  if (kind === 'describe') {
    const suite = { name: full, slot, skip, items: [], hooks: { before: [], after: [], beforeEach: [], afterEach: [] } };
    if (outer) outer.items.push(suite);
    collecting = suite;
    try { if (fn) fn(context(suite)); } catch (e) { suite.error = e; } finally { collecting = outer; }
    if (outer) return P.resolve();
    if (here.slot) { const p = runSuite(suite, []); here.kids.push(p); return p; }
    return enqueue(slot, () => runSuite(suite, [rootHooks]));
  }
  const up = here.slot ? here : null;
  const sub = ctx({ name: full, state: skip ? 'skipped' : 'pending', d: 0, slot, up });
  slot.subs.push(sub);
  const job = { sub, fn };
  if (outer) { outer.items.push(job); return P.resolve(); }
  if (here.slot) { const p = runTest(job, []); here.kids.push(p); return p; }
  return enqueue(slot, () => runTest(job, [rootHooks]));
};
const make = (kind, flags = {}) => {
  const f = (...args) => register(kind, args, flags);
  if (!flags.variant) {
    f.skip = make(kind, { skip: true, variant: true });
    f.todo = make(kind, { todo: true, variant: true });
    f.only = make(kind, { variant: true });
  }
  return f;
};
const hook = (kind) => (fn) => {
  if (typeof fn !== 'function') return;
  if (collecting) collecting.hooks[kind].push(fn);
  else if (kind === 'before') chain = chain.then(() => callHook(fn, ctx({})));
  else rootHooks[kind].push(fn);
};
const nodeTest = make('test');
const hooks = { before: hook('before'), after: hook('after'), beforeEach: hook('beforeEach'), afterEach: hook('afterEach') };
O.assign(nodeTest, { test: nodeTest, it: make('test'), describe: make('describe'), suite: make('describe'), ...hooks });
defineProperty(nodeTest, 'mock', { get: () => proc.getBuiltinModule('node:test').mock });
const context = (c) => ({
  name: c.name, fullName: c.name, signal: new AbortController().signal, assert: assertShim,
  test: (...a) => register('test', a, {}), describe: (...a) => register('describe', a, {}),
  skip() { c.skipped = true; }, todo() { c.skipped = true; }, diagnostic() {}, plan() {}, runOnly() {},
  ...hooks, get mock() { return nodeTest.mock; },
});

const shims = create(null);
O.assign(shims, {
  assert: assertShim, 'node:assert': assertShim, 'assert/strict': strictShim,
  'node:assert/strict': strictShim, 'node:test': nodeTest, test: nodeTest,
});
const isRelative = (id) => /^(\.\.?)(\/|$)/.test(id);
const reportMissing = (e, id) => {
  if (e && e.code === 'MODULE_NOT_FOUND' && !/^[./]/.test(id) && Str(e.message).includes("'" + id + "'")) send('missing', { p: id });
};
// The item's own require: a relative path ('./solution') is the solution itself (the
// item is one file); a module that is not installed is reported.
let mainModule = null;
Module.prototype.require = function require(id) {
  if (typeof id === 'string' && isRelative(id) && mainModule) return mainModule.exports;
  try { return apply(realRequire, this, [id]); }
  catch (e) { if (typeof id === 'string') reportMissing(e, id); throw e; }
};
// The tests' modules, loaded now: packages as private instances (dropped from the
// require cache, so the solution's require gets another one), Node's own as frozen copies.
const preloaded = create(null);
const preload = (id) => {
  const before = new S(keys(moduleCache));
  try {
    const m = apply(realRequire, module, [id]);
    const builtin = Module.isBuiltin(id);
    preloaded[id] = builtin && m && typeof m === 'object' ? freeze(O.assign(create(O.getPrototypeOf(m)), m)) : m;
  } catch (e) {
    reportMissing(e, id);
    preloaded[id] = e;
    defineProperty(preloaded, id + '\0failed', { value: true });
  }
  for (const k of keys(moduleCache)) if (!before.has(k)) delete moduleCache[k];
};
const testRequire = (id) => {
  if (typeof id !== 'string') return apply(realRequire, module, [id]);
  if (hasOwn(shims, id)) return shims[id];
  if (isRelative(id)) return mainModule ? mainModule.exports : {};
  if (!hasOwn(preloaded, id)) preload(id);
  if (hasOwn(preloaded, id + '\0failed')) throw preloaded[id];
  return preloaded[id];
};

let exited = null;  // the code of a process.exit() that the tests (or the solution) called
let finished = false;
const finish = () => {
  if (finished) return;
  finished = true;
  if (exited === null && proc.exitCode) send('setup_error', { m: 'the program set process.exitCode = ' + proc.exitCode });
  // An exit while timers are pending would drop the assertions they hold.
  let timers = 0;
  try { for (const r of apply(activeResources, proc, [])) if (r === 'Timeout' || r === 'Immediate') timers++; } catch {}
  if (timers) send('setup_error', { m: 'the program ended with ' + timers + ' timer(s) pending' });
  const unfinished = exited === null ? 'did not finish: a promise it waited for never settled' : 'process.exit(' + exited + ') ended the program during this test';
  for (const c of slots) {
    const subHung = c.subs.some((s) => s.state === 'running' || s.state === 'pending');
    const x = c.fail || (c.settled || subHung ? null : rec({ k: 'error', type: 'Error', m: unfinished }));
    const subs = c.subs.map((s) => rec({ name: s.name, s: s.state, n: s.n, x: s.fail, d: s.d }));
    send('end', { t: c.t, d: c.d, n: c.n, x, subs });
  }
  send('done');
  closed = true;
  apply(realExit, proc, [0]);
};
apply(on, proc, ['beforeExit', finish]);
// Tests that signal failure by exiting: a non-zero exit fails the test running (or the run).
lock(proc, 'exit', function exit(code) {
  const c = current();
  let n = 0;
  try { n = Num(code ?? proc.exitCode ?? 0) || 0; } catch { n = 1; }
  exited = n;
  if (n !== 0) {
    const e = new E('process.exit(' + n + ')');
    if (c) { c.n++; record(c, e); } else send('setup_error', { m: 'the program called process.exit(' + n + ')' });
  }
  finish();
});

const settle = (c, started) => { c.d = (now() - started) / 1000; c.settled = true; };
let next = 0;
const test = (t, body) => {
  if (t !== next++) { send('setup_error', { m: 'test ' + t + ' ran out of order' }); return; }
  const c = create(null);
  O.assign(c, { t, n: 0, fail: null, settled: false, subs: [], pending: [], d: 0 });
  slots.push(c);
  send('begin', { t });
  const started = now();
  let r;
  try { r = als.run(c, body); } catch (e) { record(c, e); return settle(c, started); }
  const drain = () => (c.pending.length ? P.all(c.pending.splice(0)).then(drain) : undefined);
  if (!(r instanceof P) && !c.pending.length) return settle(c, started);
  return P.resolve(r).then(drain).then(() => settle(c, started), (e) => { record(c, e); settle(c, started); });
};

// The program calls run() once after the solution; run() calls the tests function, whose
// first statement calls run() again and receives the API. Any other call is an error.
module.exports = (testsFn, main, names, modules) => {
  // Once: item code that finds this module (module.children) gets nothing of it.
  if (installed) { send('setup_error', { m: 'the sandbox harness was installed twice' }); return () => undefined; }
  installed = true;
  module.exports = undefined;
  mainModule = main;
  for (const id of modules) if (!hasOwn(shims, id) && !isRelative(id)) preload(id);
  const g = create(null);
  for (const name of names) g[name] = G[name];
  g.console = testConsole;
  g.require = testRequire;
  g.assert = assertShim;
  // A name the tests declare and the solution uses (a tests' helper): a global, as in one scope.
  const share = (name, value) => { try { defineProperty(G, name, { value, writable: true, configurable: true }); } catch {} };
  const api = freeze(rec({ test, hit: count, require: testRequire, share, g: freeze(g) }));
  let state = 0;
  return freeze(function run() {
    if (state === 1) { state = 2; return api; }
    if (state === 2) { send('setup_error', { m: 'the sandbox harness was called by item code' }); return undefined; }
    state = 1;
    const r = apply(testsFn, undefined, []);
    if (state !== 2) send('setup_error', { m: 'the tests did not start' });
    state = 2;
    if (r instanceof P) r.then(undefined, uncaught);
    return undefined;
  });
};
"""
