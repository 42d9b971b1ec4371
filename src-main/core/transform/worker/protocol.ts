/**
 * The protocol between a transformer (main thread) and its sandbox worker thread.
 *
 * Shared memory (one SharedArrayBuffer, SHARED_BYTES long):
 *   Int32 [0] INTERRUPT  non-zero asks the running item to stop (Pyodide's interrupt buffer: 2 = SIGINT)
 *   Int32 [1] INDEX      the running item: an event index >= 0, LOAD (-1) for load/check, IDLE (-2)
 *   Int32 [2] SEQ        incremented when an item starts
 *   Int32 [3] TARGET     the SEQ the interrupt is meant for
 *   Float64 at byte 16   START: when the running item started (performance.timeOrigin + performance.now())
 *
 * Messages, main -> worker: {type:'load', source} | {type:'run', events: string[]} | {type:'check', source}
 * Messages, worker -> main: {type:'ready'} | {type:'boot-error', message}
 *   | {type:'loaded', outcome} | {type:'checked', outcome}
 *   | {type:'result', index, outcome, logs, ms, fatal?} | {type:'done'}
 * Outcomes are engine-specific plain data, interpreted on the main thread.
 */
import type { LogEntry } from '../types';

export const SHARED_BYTES = 24;
export const SLOT_INTERRUPT = 0;
export const SLOT_INDEX = 1;
export const SLOT_SEQ = 2;
export const SLOT_TARGET = 3;
export const START_BYTE_OFFSET = 16;
export const INDEX_IDLE = -2;
export const INDEX_LOAD = -1;

export type WorkerToMain =
  | { type: 'ready' }
  | { type: 'boot-error'; message: string }
  | { type: 'loaded'; outcome: unknown }
  | { type: 'checked'; outcome: unknown }
  | { type: 'result'; index: number; outcome: unknown; logs: LogEntry[]; ms: number; fatal?: boolean }
  | { type: 'done' };

export type MainToWorker =
  | { type: 'load'; source: string }
  | { type: 'run'; events: string[] }
  | { type: 'check'; source: string };

/**
 * Worker-side runtime shared by the engines (JavaScript source text, evaluated in the worker).
 * The engine script defines `const engine = { boot(data), load(source, ctl), run(eventJson, ctl), check(source, ctl) }`
 * and then this prelude's `serve(engine)`; `load`/`run`/`check` are synchronous; `run` returns
 * `{ outcome, logs, fatal? }`. `ctl.interrupted()` tells whether the host asked to stop the item;
 * `ctl.elapsed()` is the item's running time in ms.
 */
export const WORKER_PRELUDE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const shared = workerData.shared;
const slots = new Int32Array(shared, 0, 4);
const startTime = new Float64Array(shared, ${START_BYTE_OFFSET}, 1);
const clock = () => performance.timeOrigin + performance.now();
const ctl = {
  seq: 0,
  started: 0,
  interrupted() { return Atomics.load(slots, ${SLOT_INTERRUPT}) !== 0 && Atomics.load(slots, ${SLOT_TARGET}) === ctl.seq; },
  elapsed() { return clock() - ctl.started; },
};
function begin(index) {
  Atomics.store(slots, ${SLOT_INTERRUPT}, 0);
  ctl.started = clock();
  startTime[0] = ctl.started;
  Atomics.store(slots, ${SLOT_INDEX}, index);
  ctl.seq = Atomics.add(slots, ${SLOT_SEQ}, 1) + 1;
}
function end() {
  Atomics.store(slots, ${SLOT_INDEX}, ${INDEX_IDLE});
  Atomics.store(slots, ${SLOT_INTERRUPT}, 0);
}
const post = (m) => parentPort.postMessage(m);
const errorText = (e) => (e && e.message) ? String(e.message) : String(e);
function serve(engine) {
  (async () => {
    try {
      await engine.boot(workerData);
    } catch (e) {
      post({ type: 'boot-error', message: errorText(e) });
      return;
    }
    parentPort.on('message', (msg) => {
      if (msg.type === 'load' || msg.type === 'check') {
        begin(${INDEX_LOAD});
        let outcome;
        try {
          outcome = msg.type === 'load' ? engine.load(msg.source, ctl) : engine.check(msg.source, ctl);
        } catch (e) {
          outcome = { kind: 'crash', message: errorText(e) };
        } finally {
          end();
        }
        post({ type: msg.type === 'load' ? 'loaded' : 'checked', outcome });
        return;
      }
      if (msg.type === 'run') {
        const events = msg.events;
        for (let i = 0; i < events.length; i++) {
          begin(i);
          let r;
          try {
            r = engine.run(events[i], ctl);
          } catch (e) {
            r = { outcome: { kind: 'crash', message: errorText(e) }, logs: [], fatal: true };
          }
          const ms = ctl.elapsed();
          end();
          post({ type: 'result', index: i, outcome: r.outcome, logs: r.logs, ms, fatal: r.fatal === true });
          if (r.fatal) return;
        }
        post({ type: 'done' });
      }
    });
    post({ type: 'ready' });
  })();
}
`;
