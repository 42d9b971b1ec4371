/**
 * Where JSON text stops being valid. Only used after JSON.parse has failed
 * (V8's messages do not always carry a position), so speed does not matter;
 * it is iterative, so deeply nested input cannot overflow the stack.
 */
export interface JsonSyntaxError {
  /** Index of the offending character in the text (the text's length at an unexpected end). */
  position: number;
  line: number;
  column: number;
  message: string;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

export function findJsonError(text: string): JsonSyntaxError | null {
  let i = 0;
  const n = text.length;
  // Stack of open containers: '{' or '['.
  const stack: string[] = [];
  type State = 'value' | 'key' | 'colon' | 'after';
  let state: State = 'value';
  let firstInContainer = false;

  const fail = (pos: number, message: string): JsonSyntaxError => {
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < pos && k < n; k++) {
      if (text.charCodeAt(k) === 0x0a) {
        line++;
        lineStart = k + 1;
      }
    }
    return { position: pos, line, column: pos - lineStart + 1, message };
  };
  const what = (pos: number) => (pos >= n ? 'end of input' : `character ${JSON.stringify(text[pos])}`);
  const skipWs = () => {
    while (i < n && WS.has(text.charCodeAt(i))) i++;
  };
  const scanString = (): JsonSyntaxError | null => {
    // text[i] === '"'
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return null;
      }
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === undefined) return fail(n, 'unexpected end of input in a string');
        if ('"\\/bfnrt'.includes(e)) {
          i += 2;
          continue;
        }
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return fail(i, 'invalid \\u escape in a string');
          i += 6;
          continue;
        }
        return fail(i, `invalid escape \\${e} in a string`);
      }
      if (c < 0x20) return fail(i, 'control character in a string (must be escaped)');
      i++;
    }
    return fail(n, 'unexpected end of input in a string');
  };
  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

  for (;;) {
    skipWs();
    if (state === 'value') {
      if (i >= n) return fail(n, stack.length ? 'unexpected end of input, expected a value' : 'empty input');
      const c = text[i];
      if (c === '{' || c === '[') {
        stack.push(c);
        i++;
        firstInContainer = true;
        state = c === '{' ? 'key' : 'value';
        if (c === '[') {
          skipWs();
          if (text[i] === ']') {
            i++;
            stack.pop();
            state = 'after';
          }
        }
        continue;
      }
      if (c === ']' && stack[stack.length - 1] === '[' && firstInContainer) {
        i++;
        stack.pop();
        state = 'after';
        continue;
      }
      firstInContainer = false;
      if (c === '"') {
        const err = scanString();
        if (err) return err;
        state = 'after';
        continue;
      }
      if (c === '-' || (c >= '0' && c <= '9')) {
        NUMBER.lastIndex = i;
        const m = NUMBER.exec(text);
        if (!m || m[0] === '-') return fail(i, 'invalid number');
        i += m[0].length;
        state = 'after';
        continue;
      }
      const lit = ['true', 'false', 'null'].find((l) => text.startsWith(l, i));
      if (lit) {
        i += lit.length;
        state = 'after';
        continue;
      }
      return fail(i, `unexpected ${what(i)}, expected a value`);
    }
    if (state === 'key') {
      if (text[i] === '}' && firstInContainer) {
        i++;
        stack.pop();
        state = 'after';
        continue;
      }
      firstInContainer = false;
      if (text[i] !== '"') return fail(i, `unexpected ${what(i)}, expected a property name in double quotes`);
      const err = scanString();
      if (err) return err;
      state = 'colon';
      continue;
    }
    if (state === 'colon') {
      if (text[i] !== ':') return fail(i, `unexpected ${what(i)}, expected ':' after a property name`);
      i++;
      state = 'value';
      continue;
    }
    // after a value
    const top = stack[stack.length - 1];
    if (top === undefined) {
      if (i < n) return fail(i, `unexpected ${what(i)} after the end of the JSON value`);
      return null;
    }
    const close = top === '{' ? '}' : ']';
    if (text[i] === ',') {
      i++;
      state = top === '{' ? 'key' : 'value';
      firstInContainer = false;
      continue;
    }
    if (text[i] === close) {
      i++;
      stack.pop();
      continue;
    }
    return fail(i, `unexpected ${what(i)}, expected ',' or '${close}'`);
  }
}
