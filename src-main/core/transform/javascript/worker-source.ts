/**
 * The JavaScript sandbox worker: QuickJS (quickjs-emscripten) inside a worker thread.
 * One WebAssembly module and one runtime per worker; the runtime has the memory and stack
 * limits, and an interrupt handler that stops at the per-event deadline or when the host
 * asks. Only `console` is exposed to user code (QuickJS itself has no fs, network, process
 * or module loader). After a timeout or out-of-memory the runtime is rebuilt before the
 * next event. Outcomes are plain data, interpreted on the main thread (./outcome.ts).
 */
import { WORKER_PRELUDE } from '../worker/protocol';

export const JS_ENGINE_SCRIPT = String.raw`
const engine = (() => {
  let Q = null;
  let data = null;
  let rt = null, vm = null, runner = null, fn = null;
  let source = null, loadOutcome = null, stale = false;
  let deadline = Infinity;
  let current = null;
  let logs = [], dropped = 0;

  function addLog(level, message) {
    if (logs.length >= data.maxLogEntries) { dropped++; return; }
    logs.push({ level, message: message.length > data.maxLogChars ? message.slice(0, data.maxLogChars) + '…' : message });
  }
  function takeLogs() {
    const out = logs;
    if (dropped > 0) out.push({ level: 'warn', message: dropped + ' more log line(s) dropped (limit ' + data.maxLogEntries + ')' });
    logs = [];
    dropped = 0;
    return out;
  }
  function teardown() {
    const handles = [fn, runner];
    fn = runner = null;
    for (const h of handles) if (h && h.alive) h.dispose();
    if (vm) vm.dispose();
    if (rt) rt.dispose();
    vm = rt = null;
  }
  function dumpSafely(h) {
    const saved = deadline;
    deadline = clock() + 50;
    try { return vm.dump(h); }
    catch (e) { return { name: 'Error', message: 'an exception that could not be read' }; }
    finally { deadline = saved; }
  }
  function harnessFailure(h) {
    const detail = dumpSafely(h);
    h.dispose();
    return new Error('QuickJS harness failed: ' + JSON.stringify(detail));
  }
  function callFactory(code, args) {
    const f = vm.evalCode(code, data.harnessFilename, { strict: true });
    if (f.error) throw harnessFailure(f.error);
    try {
      const r = vm.callFunction(f.value, vm.undefined, ...args);
      if (r.error) throw harnessFailure(r.error);
      return r.value;
    } finally {
      f.value.dispose();
      for (const a of args) if (a.alive) a.dispose();
    }
  }
  const isRestartError = (d) => d && typeof d === 'object' && d.name === 'InternalError' &&
    (d.message === 'interrupted' || d.message === 'out of memory' || d.message === 'stack overflow');

  // Builds a runtime with the user's code loaded; returns null or the code's problem.
  function create(src) {
    rt = Q.newRuntime();
    rt.setMemoryLimit(data.memoryBytes);
    rt.setMaxStackSize(data.maxStackBytes);
    rt.setInterruptHandler(() => clock() > deadline || (current !== null && current.interrupted()));
    vm = rt.newContext();
    const hostLog = vm.newFunction('log', (levelHandle, messageHandle) => {
      addLog(vm.getString(levelHandle), vm.getString(messageHandle));
    });
    const consoleObject = callFactory(data.consoleSource, [hostLog, vm.newNumber(data.maxLogChars)]);
    vm.setProp(vm.global, 'console', consoleObject);
    consoleObject.dispose();
    runner = callFactory(data.runnerSource, [vm.newNumber(data.maxOutputBytes)]);
    deadline = clock() + data.initTimeoutMs;
    const r = vm.evalCode(src, data.userFilename);
    if (r.error) {
      const dumped = dumpSafely(r.error);
      r.error.dispose();
      return { kind: 'thrown', phase: 'load', dumped };
    }
    r.value.dispose();
    const picked = vm.evalCode(data.pickSource, data.harnessFilename);
    if (picked.error) {
      const dumped = dumpSafely(picked.error);
      picked.error.dispose();
      return { kind: 'thrown', phase: 'load', dumped };
    }
    if (vm.typeof(picked.value) !== 'function') {
      const what = vm.getString(picked.value);
      picked.value.dispose();
      return { kind: 'not-function', what };
    }
    fn = picked.value;
    return null;
  }

  function drainJobs() {
    if (!rt.hasPendingJob()) return;
    const r = rt.executePendingJobs();
    if (r.error) r.error.dispose();
  }

  function call(eventJson) {
    const arg = vm.newString(eventJson);
    const r = vm.callFunction(runner, vm.undefined, fn, arg);
    arg.dispose();
    try {
      if (r.error) return { kind: 'thrown', dumped: dumpSafely(r.error) };
      let value = r.value;
      if (vm.typeof(value) === 'object') {
        drainJobs();
        const state = vm.getPromiseState(value);
        value.dispose();
        if (state.type === 'pending') return { kind: 'pending' };
        if (state.type === 'rejected') {
          const dumped = dumpSafely(state.error);
          state.error.dispose();
          return { kind: 'thrown', dumped };
        }
        value = state.value;
      }
      const marker = vm.getString(value);
      value.dispose();
      return { kind: 'marker', marker };
    } finally {
      if (r.error) r.error.dispose();
      drainJobs();
    }
  }

  return {
    async boot(d) {
      data = d;
      const quickjs = require(d.quickjsPath);
      Q = await quickjs.newQuickJSWASMModule();
    },
    load(src, ctl) {
      current = ctl;
      try {
        teardown();
        source = src;
        loadOutcome = create(src);
        stale = false;
        return loadOutcome;
      } finally {
        deadline = Infinity;
        current = null;
        takeLogs();
      }
    },
    check(src, ctl) {
      const saved = { source, loadOutcome };
      current = ctl;
      try {
        teardown();
        return create(src);
      } finally {
        deadline = Infinity;
        current = null;
        takeLogs();
        teardown();
        source = saved.source;
        loadOutcome = saved.loadOutcome;
        stale = source !== null;
      }
    },
    run(eventJson, ctl) {
      current = ctl;
      try {
        if (stale) {
          teardown();
          loadOutcome = create(source);
          stale = false;
          deadline = Infinity;
          takeLogs();
        }
        if (loadOutcome) return { outcome: { kind: 'load-error', error: loadOutcome }, logs: [] };
        deadline = clock() + data.timeoutMs;
        const outcome = call(eventJson);
        if (outcome.kind === 'thrown' && isRestartError(outcome.dumped)) stale = true;
        return { outcome, logs: takeLogs() };
      } finally {
        deadline = Infinity;
        current = null;
      }
    },
  };
})();
serve(engine);
`;

export const JS_WORKER_SCRIPT = WORKER_PRELUDE + JS_ENGINE_SCRIPT;
