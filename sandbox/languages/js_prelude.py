"""The JavaScript that runs before an item in Node and reports on fd 3.

Records (one JSON object a line): `begin {t}` when test statement t starts;
`missing {p}` when a module `require` asked for is not installed; `setup_error {m}`
for a failure outside any test; at exit, `end {t, d, n, x, subs}` for every begun
test (n: assertions evaluated, x: its first failure or null, subs: its node:test
tests) and `done`. A test whose promise never settled ends with an error.

Counted as an assertion: a `console.assert` call (a failed one fails its test and
throws: Node itself only prints), a call of the `assert` module (`require('assert')`,
`node:assert`, `assert/strict` all give a counting wrapper), `__assay.hit()` (the
condition of an `if` that guards a `throw` in the tests). `node:test` is replaced by
a shim that runs `test()`/`it()`/`describe()` in order, with hooks, `t.test`
subtests, async and `done`-callback tests, and reports each test.
"""

PRELUDE = r"""
const __assay = (() => {
  const fs = process.getBuiltinModule('node:fs');
  const { AsyncLocalStorage } = process.getBuiltinModule('node:async_hooks');
  const Module = process.getBuiltinModule('node:module');
  const realAssert = process.getBuiltinModule('node:assert');
  const writeSync = fs.writeSync, stringify = JSON.stringify, exit = process.exit.bind(process);
  const now = () => performance.now();
  const als = new AsyncLocalStorage();
  const send = (r) => { writeSync(3, stringify(r) + '\n'); };
  const slots = [];
  const FAILS = new Set(['Error', 'AssertionError']);
  const describeError = (e) => {
    let m, type;
    try { m = String(e instanceof Error ? e.message : e); } catch { m = '(unprintable)'; }
    try { type = e instanceof Error ? String(e.name) : typeof e; } catch { type = 'Error'; }
    // A thrown non-Error (throw 'wrong') is a test's own failure signal.
    return { k: !(e instanceof Error) || FAILS.has(type) ? 'fail' : 'error', type, m: m.slice(0, 1000) };
  };
  const current = () => als.getStore();
  const record = (c, e) => { if (c && !c.fail) c.fail = describeError(e); };
  // A subtest's assertions are its parent test's too (t.test inside a test).
  const bump = (c) => { for (let x = c; x; x = x.up) x.n++; };
  const count = () => bump(current());
  const uncaught = (e) => {
    const c = current();
    if (c) return record(c, e);
    const d = describeError(e);
    send({ e: 'setup_error', m: 'uncaught outside a test: ' + d.type + ': ' + d.m });
  };
  process.on('uncaughtException', uncaught);
  process.on('unhandledRejection', uncaught);

  console.assert = function assert(cond, ...msg) {
    count();
    if (!cond) {
      const e = new Error('console.assert failed' + (msg.length ? ': ' + msg.map(String).join(' ') : ''));
      e.name = 'AssertionError';
      record(current(), e);
      throw e;
    }
  };

  // node:assert, counting each call; a failure inside another assertion (assert.throws
  // around a failing assert) belongs to the outer one.
  let depth = 0;
  const guard = (fn) => function (...args) {
    const c = current();
    bump(c);
    depth++;
    let r;
    try { r = Reflect.apply(fn, this, args); }
    catch (e) { if (depth === 1) record(c, e); throw e; }
    finally { depth--; }
    if (r && typeof r.then === 'function') return r.then(undefined, (e) => { record(c, e); throw e; });
    return r;
  };
  const wrap = (mod) => {
    const w = guard(mod);
    for (const key of Reflect.ownKeys(mod)) {
      if (['strict', 'prototype', 'length', 'name'].includes(key)) continue;
      const v = mod[key];
      w[key] = typeof v === 'function' && /^[a-z]/.test(String(key)) ? guard(v) : v;
    }
    return w;
  };
  const assertShim = wrap(realAssert), strictShim = wrap(realAssert.strict);
  assertShim.strict = strictShim; strictShim.strict = strictShim;

  // node:test
  let chain = Promise.resolve(), collecting = null;
  const rootHooks = { before: [], after: [], beforeEach: [], afterEach: [] };
  const parse = (args) => {
    let name, opts = {}, fn;
    for (const a of args) {
      if (typeof a === 'string') name = a;
      else if (typeof a === 'function') fn = a;
      else if (a && typeof a === 'object') opts = a;
    }
    return { name: name ?? ((fn && fn.name) || '<anonymous>'), opts, fn };
  };
  const enqueue = (slot, run) => { const p = chain.then(run); chain = p; slot.pending.push(p); return p; };
  const jobsOf = (suite) => suite.items.flatMap((i) => (i.items ? jobsOf(i) : [i]));
  const callHook = async (fn, c) => { await als.run(c, () => fn(context(c))); };
  const invoke = (fn, sub) => {
    const t = context(sub);
    if (fn.length < 2) return fn(t);
    return new Promise((resolve, reject) => {
      const r = fn(t, (err) => (err ? reject(err) : resolve()));
      if (r && typeof r.then === 'function') r.then(undefined, reject);
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
      while (sub.kids.length) await Promise.all(sub.kids.splice(0));
      for (const h of each.toReversed().flatMap((x) => x.afterEach)) await callHook(h, sub);
    } catch (e) { record(sub, e); }
    sub.d = (now() - started) / 1000;
    sub.state = sub.skipped ? 'skipped' : 'done';
  };
  const runSuite = async (suite, each) => {
    const jobs = jobsOf(suite);
    const failAll = (e) => { for (const j of jobs) { record(j.sub, e); if (j.sub.state === 'pending') j.sub.state = 'done'; } };
    if (suite.skip) { for (const j of jobs) j.sub.state = 'skipped'; return; }
    if (suite.error) return failAll(suite.error);
    const hookCtx = { n: 0, fail: null, slot: suite.slot, kids: [], name: suite.name };
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
      send({ e: 'setup_error', m: kind + '() called outside a test statement' });
      return Promise.resolve();
    }
    const slot = here.slot || here;
    const outer = collecting;
    const prefix = outer ? outer.name : (here.slot ? here.name : '');
    const full = prefix ? prefix + ' > ' + name : name;
    const skip = Boolean(flags.skip || flags.todo || opts.skip || opts.todo);
    if (kind === 'describe') {
      const suite = { name: full, slot, skip, items: [], hooks: { before: [], after: [], beforeEach: [], afterEach: [] } };
      if (outer) outer.items.push(suite);
      collecting = suite;
      try { if (fn) fn(context(suite)); } catch (e) { suite.error = e; } finally { collecting = outer; }
      if (outer) return Promise.resolve();
      if (here.slot) { const p = runSuite(suite, []); here.kids.push(p); return p; }
      return enqueue(slot, () => runSuite(suite, [rootHooks]));
    }
    const up = here.slot ? here : null;
    const sub = { name: full, n: 0, fail: null, state: skip ? 'skipped' : 'pending', d: 0, slot, kids: [], up };
    slot.subs.push(sub);
    const job = { sub, fn };
    if (outer) { outer.items.push(job); return Promise.resolve(); }
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
    else if (kind === 'before') chain = chain.then(() => callHook(fn, { n: 0, fail: null, kids: [] }));
    else rootHooks[kind].push(fn);
  };
  const nodeTest = make('test');
  const hooks = { before: hook('before'), after: hook('after'), beforeEach: hook('beforeEach'), afterEach: hook('afterEach') };
  Object.assign(nodeTest, { test: nodeTest, it: make('test'), describe: make('describe'), suite: make('describe'), ...hooks });
  Object.defineProperty(nodeTest, 'mock', { get: () => process.getBuiltinModule('node:test').mock });
  const context = (c) => ({
    name: c.name, fullName: c.name, signal: new AbortController().signal, assert: assertShim,
    test: (...a) => register('test', a, {}), describe: (...a) => register('describe', a, {}),
    skip() { c.skipped = true; }, todo() { c.skipped = true; }, diagnostic() {}, plan() {}, runOnly() {},
    ...hooks, get mock() { return nodeTest.mock; },
  });

  const shims = {
    assert: assertShim, 'node:assert': assertShim, 'assert/strict': strictShim,
    'node:assert/strict': strictShim, 'node:test': nodeTest, test: nodeTest,
  };
  const realRequire = Module.prototype.require;
  Module.prototype.require = function require(id) {
    if (typeof id === 'string' && Object.hasOwn(shims, id)) return shims[id];
    // The item is one file: a relative path ('./solution') is the solution itself.
    if (typeof id === 'string' && /^(\.\.?)(\/|$)/.test(id)) return this.exports;
    try { return Reflect.apply(realRequire, this, [id]); }
    catch (e) {
      if (e && e.code === 'MODULE_NOT_FOUND' && typeof id === 'string' && !/^[./]/.test(id)
          && String(e.message).includes("'" + id + "'")) send({ e: 'missing', p: id });
      throw e;
    }
  };

  let exited = null;  // the code of a process.exit() that the tests (or the solution) called
  const finish = () => {
    if (exited === null && process.exitCode) send({ e: 'setup_error', m: 'the program set process.exitCode = ' + process.exitCode });
    const unfinished = exited === null ? 'did not finish: a promise it waited for never settled' : 'process.exit(' + exited + ') ended the program during this test';
    for (const c of slots) {
      const subHung = c.subs.some((s) => s.state === 'running' || s.state === 'pending');
      const x = c.fail || (c.settled || subHung ? null : { k: 'error', type: 'Error', m: unfinished });
      const subs = c.subs.map((s) => ({ name: s.name, s: s.state, n: s.n, x: s.fail, d: s.d }));
      send({ e: 'end', t: c.t, d: c.d, n: c.n, x, subs });
    }
    send({ e: 'done' });
    exit(0);
  };
  process.on('beforeExit', finish);
  // Tests that signal failure by exiting: a non-zero exit fails the test running (or the run).
  process.exit = (code) => {
    const c = current(), n = Number(code ?? process.exitCode ?? 0) || 0;
    exited = n;
    if (n !== 0) {
      const e = new Error('process.exit(' + n + ')');
      if (c) { c.n++; record(c, e); } else send({ e: 'setup_error', m: 'the program called process.exit(' + n + ')' });
    }
    finish();
  };

  const settle = (c, started) => { c.d = (now() - started) / 1000; c.settled = true; };
  return {
    hit: count,
    uncaught,
    defaultExport: (m) => (m && (typeof m === 'object' || typeof m === 'function') && m.__esModule && 'default' in m ? m.default : m),
    test(t, body) {
      const c = { t, n: 0, fail: null, settled: false, subs: [], pending: [], d: 0 };
      slots.push(c);
      send({ e: 'begin', t });
      const started = now();
      let r;
      try { r = als.run(c, body); } catch (e) { record(c, e); return settle(c, started); }
      const drain = () => (c.pending.length ? Promise.all(c.pending.splice(0)).then(drain) : undefined);
      if (!(r && typeof r.then === 'function') && !c.pending.length) return settle(c, started);
      return Promise.resolve(r).then(drain).then(() => settle(c, started), (e) => { record(c, e); settle(c, started); });
    },
  };
})();
"""
