/**
 * Code evaluated inside the QuickJS context (never in the host). Each source is a function
 * expression whose result the host keeps as a handle; nothing here is reachable by name
 * from user code except `console`.
 */

/** The file name user code is evaluated under; stack traces name it. */
export const USER_FILENAME = 'transform.js';
export const HARNESS_FILENAME = 'krenalis-harness.js';

/**
 * (hostLog, maxChars) => console. Formats arguments in the VM so the host receives one bounded string.
 */
export const CONSOLE_SOURCE = String.raw`(function (hostLog, maxChars) {
  'use strict';
  const stringify = JSON.stringify;
  const toText = String;
  function fmt(v) {
    if (typeof v === 'string') return v;
    if (v instanceof Error) return toText(v.name) + ': ' + toText(v.message);
    try {
      const s = stringify(v);
      return s === undefined ? toText(v) : s;
    } catch (e) {
      try { return toText(v); } catch (e2) { return '[unprintable]'; }
    }
  }
  function make(level) {
    return function () {
      let s = '';
      for (let i = 0; i < arguments.length && s.length <= maxChars; i++) {
        if (i > 0) s += ' ';
        s += fmt(arguments[i]);
      }
      hostLog(level, s.length > maxChars ? s.slice(0, maxChars) + '…' : s);
    };
  }
  return Object.freeze({ log: make('log'), info: make('info'), warn: make('warn'), error: make('error'), debug: make('debug') });
})`;

/**
 * (maxChars) => run(transform, eventJson). Returns a marker string:
 *   'O' + json   the output object, serialized
 *   'E' + text   a bad return value
 *   'L' + size   the output is over maxChars characters
 * or a Promise of such a string when transform is async. Exceptions propagate to the host.
 */
export const RUNNER_SOURCE = String.raw`(function (maxChars) {
  'use strict';
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const isArray = Array.isArray;
  const NativePromise = Promise;
  const resolve = Promise.resolve.bind(Promise);
  const then = Promise.prototype.then;
  function describe(v) {
    if (v === null) return 'null';
    if (v === undefined) return 'undefined (did you forget return?)';
    if (isArray(v)) return 'an array';
    return 'a ' + typeof v;
  }
  function finish(out) {
    if (out === null || typeof out !== 'object' || isArray(out)) {
      return 'Etransform must return an object, but it returned ' + describe(out);
    }
    const s = stringify(out);
    if (typeof s !== 'string') return 'Etransform must return an object that can be serialized as JSON';
    if (s.length > maxChars) return 'L' + s.length;
    return 'O' + s;
  }
  return function run(transform, input) {
    const out = transform(parse(input));
    if (out instanceof NativePromise) return then.call(out, finish);
    if (out !== null && typeof out === 'object' && typeof out.then === 'function') return then.call(resolve(out), finish);
    return finish(out);
  };
})`;

/** Picks the transform function, also when declared with let/const/class (not on globalThis). */
export const PICK_TRANSFORM_SOURCE = `(typeof transform === 'function') ? transform : (typeof transform === 'undefined' ? 'undefined' : typeof transform)`;
