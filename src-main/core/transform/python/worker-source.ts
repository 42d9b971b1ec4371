/**
 * The Python sandbox worker: Pyodide inside a worker thread, host access removed.
 *
 * Layers, in order:
 * 1. Before Pyodide starts: WebAssembly memory growth is capped (a memory bomb gets MemoryError),
 *    the wasm import behind os.system() is replaced by a stub (Emscripten would otherwise run the
 *    command with child_process), and `fetch` is removed (loading is from disk only: offline).
 * 2. Pyodide starts with an empty `js` globals object, no environment, stdin disabled; the host
 *    file system is never mounted.
 * 3. After start: the Python harness locks imports down (harness.ts); the JavaScript bridge is
 *    unregistered; every Pyodide API that loads packages, mounts file systems or opens sockets is
 *    replaced by a refusal; host-capable Emscripten file systems are removed; Node's fs,
 *    child_process, net, tls, dgram, http(s), dns modules are disabled in this thread; `process`,
 *    `require`, `Buffer`, fetch & co. are deleted from the thread's globals; and `eval`/`Function`
 *    (the way from a JavaScript object back to arbitrary code) are disabled.
 * So even Python code that finds a JavaScript proxy through the object graph finds no host.
 */
import { WORKER_PRELUDE } from '../worker/protocol';

export const PY_ENGINE_SCRIPT = String.raw`
const engine = (() => {
  let data = null;
  let py = null;
  let runFn = null, loadFn = null, checkFn = null;
  let broken = null;
  const hostLogs = [];

  function denyFunctionConstructors() {
    const deny = (name, proto) => {
      const f = function () { throw new EvalError(name + ' is disabled in the sandbox'); };
      if (proto) f.prototype = proto;
      return f;
    };
    const FunctionProto = Function.prototype;
    const denied = deny('Function', FunctionProto);
    Object.defineProperty(FunctionProto, 'constructor', { value: denied, writable: false, configurable: false });
    globalThis.Function = denied;
    for (const sample of [async function () {}, function* () {}, async function* () {}]) {
      const proto = Object.getPrototypeOf(sample);
      Object.defineProperty(proto, 'constructor', { value: deny('Function', proto), writable: false, configurable: false });
    }
    globalThis.eval = deny('eval');
  }

  function disableNodeModules() {
    const refuse = (name) => function () { throw new Error('host access (' + name + ') is disabled in the sandbox'); };
    const names = ['fs', 'fs/promises', 'child_process', 'net', 'tls', 'dgram', 'http', 'https', 'http2', 'dns', 'dns/promises', 'inspector', 'cluster', 'vm', 'v8', 'wasi', 'repl'];
    for (const name of names) {
      let mod;
      try { mod = require('node:' + name); } catch (e) { continue; }
      const targets = [mod];
      if (mod && mod.promises && typeof mod.promises === 'object') targets.push(mod.promises);
      for (const target of targets) {
        for (const key of Object.keys(target)) {
          if (typeof target[key] === 'function') {
            try { target[key] = refuse(name + '.' + key); } catch (e) { /* read-only export */ }
          }
        }
      }
    }
    try { require('node:module').syncBuiltinESMExports(); } catch (e) { /* older Node */ }
    // Emscripten's socket emulation opens WebSockets with the 'ws' package on Node.
    try {
      const { createRequire } = require('node:module');
      const req = createRequire(require('node:path').join(data.pyodideDir, 'pyodide.asm.mjs'));
      const wsPath = req.resolve('ws');
      req('ws');
      const Refused = refuse('ws');
      Refused.Server = Refused;
      Refused.WebSocketServer = Refused;
      req.cache[wsPath].exports = Refused;
    } catch (e) { /* ws not installed: nothing to disable */ }
  }

  function neuterPyodide() {
    const refuse = (what) => function () { throw new Error(what + ' is disabled in the sandbox'); };
    for (const key of ['loadPackage', 'loadPackagesFromImports', 'mountNodeFS', 'mountNativeFS', 'useNodeSockFS',
      'unpackArchive', 'registerJsModule', 'unregisterJsModule', 'registerComlink', 'pyimport', 'makeMemorySnapshot',
      'setStdin', 'setStdout', 'setStderr', 'setInterruptBuffer', 'setDebug', 'runPythonAsync', 'runPython']) {
      try { py[key] = refuse('pyodide.' + key); } catch (e) { /* ignore */ }
    }
    const Module = py._module;
    const API = py._api;
    for (const key of ['loadBinaryFile', 'initializeNodeSockFS', 'loadDynlib', 'install']) {
      if (API && key in API) API[key] = refuse('pyodide API ' + key);
    }
    const FS = Module.FS;
    for (const name of ['NODEFS', 'NODERAWFS', 'PROXYFS', 'WORKERFS', 'IDBFS', 'NATIVEFS_ASYNC']) {
      if (FS.filesystems) delete FS.filesystems[name];
      delete Module[name];
    }
    FS.mount = refuse('mounting a file system');
    for (const key of ['asyncLoad', 'FS_preloadFile', 'FS_createPreloadedFile', 'FS_createLazyFile', '_emscripten_async_wget_data',
      '_emscripten_async_load_script', 'FS_stdin_getChar', '__emscripten_system']) {
      if (key in Module) Module[key] = refuse(key);
    }
    for (const key of ['preloadFile', 'createPreloadedFile', 'createLazyFile', 'forceLoadFile']) {
      if (key in FS) FS[key] = refuse('FS.' + key);
    }
    if (Module.SOCKFS) {
      Module.SOCKFS.createSocket = function () { throw new FS.ErrnoError(2 /* EACCES */); };
      if (Module.SOCKFS.websocket_sock_ops) {
        for (const key of Object.keys(Module.SOCKFS.websocket_sock_ops)) {
          Module.SOCKFS.websocket_sock_ops[key] = function () { throw new FS.ErrnoError(2); };
        }
      }
    }
    try { delete py._module; } catch (e) { /* ignore */ }
    try { delete py._api; } catch (e) { /* ignore */ }
  }

  function stripGlobals() {
    for (const key of ['process', 'require', 'module', 'exports', '__filename', '__dirname', 'Buffer', 'fetch', 'Request',
      'Response', 'Headers', 'FormData', 'WebSocket', 'EventSource', 'XMLHttpRequest', 'BroadcastChannel', 'MessageChannel',
      'MessagePort', 'Worker', 'SharedWorker', 'importScripts', 'navigator', 'global']) {
      try { delete globalThis[key]; } catch (e) { /* ignore */ }
      if (key in globalThis) { try { globalThis[key] = undefined; } catch (e) { /* ignore */ } }
    }
    const quiet = () => undefined;
    for (const key of ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table']) console[key] = quiet;
  }

  function pushHostLog(level, line) {
    if (hostLogs.length < data.maxLogEntries) hostLogs.push({ level, message: String(line).slice(0, data.maxLogChars) });
  }

  return {
    async boot(d) {
      data = d;
      // (1) before Pyodide creates its memory and instantiates its module
      const grow = WebAssembly.Memory.prototype.grow;
      const limit = d.memoryBytes;
      WebAssembly.Memory.prototype.grow = function (delta) {
        if (this.buffer.byteLength + delta * 65536 > limit) throw new RangeError('WebAssembly memory limit reached');
        return grow.call(this, delta);
      };
      const instantiate = WebAssembly.instantiate;
      WebAssembly.instantiate = function (source, imports) {
        if (imports && imports.env && typeof imports.env._emscripten_system === 'function') {
          imports.env._emscripten_system = (command) => (command ? -1 : 0);
        }
        return instantiate.apply(this, arguments);
      };
      delete globalThis.fetch;
      // (2) start Pyodide from the local package: no network
      const path = require('node:path');
      const { pathToFileURL } = require('node:url');
      const { loadPyodide } = await import(pathToFileURL(path.join(d.pyodideDir, 'pyodide.mjs')).href);
      py = await loadPyodide({
        indexURL: d.pyodideDir + path.sep,
        jsglobals: {},
        env: {},
        args: [],
        stdout: (line) => pushHostLog('log', line),
        stderr: (line) => pushHostLog('error', line),
      });
      WebAssembly.instantiate = instantiate;
      py.setStdin({ error: true });
      py.setInterruptBuffer(new Int32Array(d.shared, 0, 1));
      const ns = py.globals.get('dict')();
      py.runPython(d.harness, { globals: ns, filename: '<krenalis-harness>' });
      runFn = ns.get('_run');
      loadFn = ns.get('_load');
      checkFn = ns.get('_check');
      const lockdown = ns.get('_lockdown');
      ns.destroy();
      for (const name of ['js', 'pyodide_js']) {
        try { py.unregisterJsModule(name); } catch (e) { /* not registered */ }
      }
      lockdown();
      lockdown.destroy();
      // (3) the JavaScript side
      neuterPyodide();
      disableNodeModules();
      stripGlobals();
      denyFunctionConstructors();
    },

    load(source, ctl) {
      try {
        const raw = loadFn(source);
        return { raw };
      } catch (e) {
        broken = errorText(e);
        return { raw: 'E' + JSON.stringify({ code: 'internal', message: 'the Python engine failed: ' + broken }) };
      } finally {
        hostLogs.length = 0;
      }
    },

    check(source, ctl) {
      try {
        return { raw: checkFn(source) };
      } catch (e) {
        return { raw: JSON.stringify([{ message: 'the Python engine failed: ' + errorText(e) }]) };
      }
    },

    run(eventJson, ctl) {
      if (broken) return { outcome: { raw: 'E' + JSON.stringify({ code: 'internal', message: 'the Python engine failed: ' + broken }) }, logs: [], fatal: true };
      for (let attempt = 0; ; attempt++) {
        let raw;
        try {
          raw = runFn(eventJson);
        } catch (e) {
          // A JavaScript-level failure inside Pyodide (e.g. stack exhaustion): the engine is not reusable.
          broken = errorText(e);
          return { outcome: { raw: 'E' + JSON.stringify({ code: 'internal', message: 'the Python engine failed (' + broken.split('\n')[0] + ') and was restarted' }) }, logs: [], fatal: true };
        }
        if (raw[0] === 'I' && ctl.elapsed() < data.timeoutMs && attempt === 0) continue; // a stray interrupt: run again
        const logs = hostLogs.splice(0, hostLogs.length);
        return { outcome: { raw, timedOut: raw[0] === 'I' }, logs };
      }
    },
  };
})();
serve(engine);
`;

export const PY_WORKER_SCRIPT = WORKER_PRELUDE + PY_ENGINE_SCRIPT;
