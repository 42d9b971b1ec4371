/**
 * Recursive-descent parser of Visual Mapping expressions.
 *
 *   expression := literal | path | call | '(' expression ')'
 *   literal    := STRING | ['-'] NUMBER | true | false | null
 *   path       := IDENT accessor*
 *   call       := IDENT '(' [ expression (',' expression)* ] ')' accessor*
 *   accessor   := '.' IDENT | '[' (STRING | NUMBER) ']'
 *
 * A parenthesized expression may be followed by accessors too: `(coalesce(a, b)).x`.
 *
 * Function names and true/false/null are case-insensitive. Unknown functions and
 * wrong argument counts are reported here, with the range of the culprit.
 */
import {
  MAX_EXPRESSION_LENGTH,
  MAX_NESTING_DEPTH,
  MAX_PATH_SEGMENTS,
  type CallNode,
  type ExpressionNode,
  type ParseResult,
  type PathNode,
} from './ast';
import { functionNames, getFunction } from './functions';
import { ExpressionSyntaxError, tokenize, type Token, type TokenType } from './tokenizer';

export function parseExpression(src: string): ParseResult {
  try {
    if (typeof src !== 'string') throw new ExpressionSyntaxError('the expression must be text', 0, 0);
    if (src.length > MAX_EXPRESSION_LENGTH) {
      throw new ExpressionSyntaxError(`the expression is too long (over ${MAX_EXPRESSION_LENGTH} characters)`, 0, src.length);
    }
    if (src.trim() === '') throw new ExpressionSyntaxError('empty expression', 0, src.length);
    const parser = new Parser(tokenize(src));
    const ast = parser.expression(0);
    parser.expectEnd();
    return { ok: true, ast };
  } catch (e) {
    if (e instanceof ExpressionSyntaxError) return { ok: false, error: e.toError() };
    throw e;
  }
}

const KEYWORDS: Record<string, boolean | null> = { true: true, false: false, null: null };

function describeToken(t: Token): string {
  switch (t.type) {
    case 'eof':
      return 'end of expression';
    case 'string':
      return 'string';
    case 'number':
      return `number ${t.value}`;
    case 'ident':
      return `'${t.value}'`;
    default:
      return `'${t.value}'`;
  }
}

class Parser {
  private pos = 0;

  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.peek();
    if (t.type !== 'eof') this.pos++;
    return t;
  }

  private expect(type: TokenType, what: string): Token {
    const t = this.peek();
    if (t.type !== type) throw new ExpressionSyntaxError(`expected ${what}, found ${describeToken(t)}`, t.start, t.end);
    return this.next();
  }

  expectEnd(): void {
    const t = this.peek();
    if (t.type !== 'eof') {
      throw new ExpressionSyntaxError(`unexpected ${describeToken(t)} after the end of the expression`, t.start, t.end);
    }
  }

  expression(depth: number): ExpressionNode {
    const t = this.peek();
    if (depth > MAX_NESTING_DEPTH) {
      throw new ExpressionSyntaxError(`the expression is nested too deeply (over ${MAX_NESTING_DEPTH} levels)`, t.start, t.end);
    }
    switch (t.type) {
      case 'string':
      case 'number':
        this.next();
        return { type: 'literal', value: t.value, start: t.start, end: t.end };
      case 'minus': {
        this.next();
        const n = this.peek();
        if (n.type !== 'number' || n.start !== t.end) {
          throw new ExpressionSyntaxError("'-' must be followed by a number", t.start, n.end);
        }
        this.next();
        return { type: 'literal', value: -(n.value as number), start: t.start, end: n.end };
      }
      case 'lparen': {
        this.next();
        const inner = this.expression(depth + 1);
        this.expect('rparen', "')'");
        return this.accessors(inner);
      }
      case 'ident': {
        if (this.peek(1).type === 'lparen') return this.accessors(this.call(depth));
        const kw = (t.value as string).toLowerCase();
        if (kw in KEYWORDS) {
          this.next();
          return { type: 'literal', value: KEYWORDS[kw], start: t.start, end: t.end };
        }
        return this.path();
      }
      case 'eof':
        throw new ExpressionSyntaxError('expected an expression', t.start, t.end);
      default:
        throw new ExpressionSyntaxError(`unexpected ${describeToken(t)}`, t.start, t.end);
    }
  }

  private path(): PathNode {
    const first = this.next();
    return this.segments([first.value as string], first.start, first.end);
  }

  /** Accessors after a call or a parenthesized expression, if any. */
  private accessors(base: ExpressionNode): ExpressionNode {
    const t = this.peek().type;
    if (t !== 'dot' && t !== 'lbracket') return base;
    const node = this.segments([], base.start, base.end);
    node.base = base;
    return node;
  }

  private segments(segments: (string | number)[], start: number, startEnd: number): PathNode {
    let end = startEnd;
    for (;;) {
      const t = this.peek();
      if (t.type === 'dot') {
        this.next();
        const key = this.peek();
        if (key.type !== 'ident') {
          throw new ExpressionSyntaxError(`expected a property name after '.', found ${describeToken(key)}`, t.start, key.end);
        }
        this.next();
        segments.push(key.value as string);
        end = key.end;
      } else if (t.type === 'lbracket') {
        this.next();
        const key = this.next();
        if (key.type === 'string') {
          segments.push(key.value as string);
        } else if (key.type === 'number' && Number.isSafeInteger(key.value) && (key.value as number) >= 0) {
          segments.push(key.value as number);
        } else {
          throw new ExpressionSyntaxError(
            'expected a quoted key or a non-negative integer index inside [ ]',
            key.start,
            key.end,
          );
        }
        end = this.expect('rbracket', "']'").end;
      } else {
        break;
      }
      if (segments.length > MAX_PATH_SEGMENTS) {
        throw new ExpressionSyntaxError(`the path is too deep (over ${MAX_PATH_SEGMENTS} segments)`, start, end);
      }
    }
    return { type: 'path', segments, start, end };
  }

  private call(depth: number): CallNode {
    const nameTok = this.next();
    const rawName = nameTok.value as string;
    const def = getFunction(rawName);
    if (!def) {
      const hint = suggest(rawName.toLowerCase());
      throw new ExpressionSyntaxError(
        `unknown function '${rawName}'${hint ? ` (did you mean '${hint}'?)` : ''}`,
        nameTok.start,
        nameTok.end,
      );
    }
    this.expect('lparen', "'('");
    const args: ExpressionNode[] = [];
    if (this.peek().type !== 'rparen') {
      for (;;) {
        args.push(this.expression(depth + 1));
        const sep = this.peek();
        if (sep.type === 'comma') {
          this.next();
          if (this.peek().type === 'rparen') {
            throw new ExpressionSyntaxError('expected an argument after \',\'', sep.start, this.peek().end);
          }
          continue;
        }
        if (sep.type === 'rparen') break;
        throw new ExpressionSyntaxError(
          sep.type === 'eof' ? `missing ')' to close ${def.name}(` : `expected ',' or ')', found ${describeToken(sep)}`,
          sep.type === 'eof' ? nameTok.start : sep.start,
          sep.end,
        );
      }
    }
    const close = this.expect('rparen', "')'");
    const node: CallNode = {
      type: 'call',
      name: def.name,
      args,
      start: nameTok.start,
      end: close.end,
      nameStart: nameTok.start,
      nameEnd: nameTok.end,
    };
    const n = args.length;
    if (n < def.minArgs || n > def.maxArgs) {
      throw new ExpressionSyntaxError(`${def.name}() ${arityText(def.minArgs, def.maxArgs)}, got ${n}`, node.start, node.end);
    }
    const rule = def.arityRule?.(n);
    if (rule) throw new ExpressionSyntaxError(rule, node.start, node.end);
    return node;
  }
}

function arityText(min: number, max: number): string {
  const plural = (k: number) => `${k} argument${k === 1 ? '' : 's'}`;
  if (min === max) return `expects ${plural(min)}`;
  if (max === Infinity) return `expects at least ${plural(min)}`;
  return `expects ${min} to ${max} arguments`;
}

function suggest(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of functionNames()) {
    const d = levenshtein(name, candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best;
}

function levenshtein(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 99;
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
