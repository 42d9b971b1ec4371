import type { ExpressionError } from './ast';

export type TokenType =
  | 'ident'
  | 'string'
  | 'number'
  | 'lparen'
  | 'rparen'
  | 'lbracket'
  | 'rbracket'
  | 'comma'
  | 'dot'
  | 'minus'
  | 'eof';

export interface Token {
  type: TokenType;
  /** The identifier's text, the decoded string, or the number's value. */
  value: string | number;
  start: number;
  end: number;
}

export class ExpressionSyntaxError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
    this.name = 'ExpressionSyntaxError';
  }

  toError(): ExpressionError {
    return { message: this.message, start: this.start, end: this.end };
  }
}

const PUNCTUATION: Record<string, TokenType> = {
  '(': 'lparen',
  ')': 'rparen',
  '[': 'lbracket',
  ']': 'rbracket',
  ',': 'comma',
  '.': 'dot',
  '-': 'minus',
};

const isIdentStart = (c: string) => /[A-Za-z_$]/.test(c);
const isIdentPart = (c: string) => /[A-Za-z0-9_$]/.test(c);
const isDigit = (c: string) => c >= '0' && c <= '9';
const NUMBER = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Splits an expression into tokens; throws ExpressionSyntaxError with the offending range. */
export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const punct = PUNCTUATION[c];
    if (punct !== undefined) {
      tokens.push({ type: punct, value: c, start: i, end: i + 1 });
      i++;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < src.length && isIdentPart(src[j])) j++;
      tokens.push({ type: 'ident', value: src.slice(i, j), start: i, end: j });
      i = j;
      continue;
    }
    if (isDigit(c)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(src);
      const text = m ? m[0] : c;
      const end = i + text.length;
      if (end < src.length && isIdentPart(src[end])) {
        let j = end;
        while (j < src.length && isIdentPart(src[j])) j++;
        throw new ExpressionSyntaxError(`invalid number '${src.slice(i, j)}'`, i, j);
      }
      tokens.push({ type: 'number', value: Number(text), start: i, end });
      i = end;
      continue;
    }
    if (c === '"' || c === "'") {
      const t = readString(src, i);
      tokens.push(t);
      i = t.end;
      continue;
    }
    const cp = src.codePointAt(i) ?? 0;
    const width = cp > 0xffff ? 2 : 1;
    throw new ExpressionSyntaxError(`unexpected character '${String.fromCodePoint(cp)}'`, i, i + width);
  }
  tokens.push({ type: 'eof', value: '', start: src.length, end: src.length });
  return tokens;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  '"': '"',
  "'": "'",
  '/': '/',
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  '0': '\0',
};

function readString(src: string, start: number): Token {
  const quote = src[start];
  let out = '';
  let i = start + 1;
  while (i < src.length) {
    const c = src[i];
    if (c === quote) {
      return { type: 'string', value: out, start, end: i + 1 };
    }
    if (c === '\\') {
      const e = src[i + 1];
      if (e === undefined) break;
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        i += 2;
        continue;
      }
      if (e === 'u') {
        const hex = src.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          throw new ExpressionSyntaxError('invalid \\u escape: expected 4 hex digits', i, Math.min(src.length, i + 6));
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
        continue;
      }
      throw new ExpressionSyntaxError(`invalid escape '\\${e}'`, i, i + 2);
    }
    out += c;
    i++;
  }
  throw new ExpressionSyntaxError('unterminated string', start, src.length);
}
