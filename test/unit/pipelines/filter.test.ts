import { describe, expect, it } from 'vitest';
import {
  appliesCondition,
  collectPaths,
  compileFilter,
  explainFilter,
  FILTER_OPERATORS,
  presetFilter,
  summarizeFilter,
  validateFilter,
  type Filter,
  type FilterCondition,
  type FilterOperator,
} from '../../../src-main/core/pipelines/filter';

const identify = {
  type: 'identify',
  userId: '703991475',
  anonymousId: 'b27c5d9f',
  timestamp: '2025-10-20T16:15:24.010Z',
  context: { os: { name: 'macOS', version: '14.5' }, screen: { width: 3024, density: 2 }, locale: 'en-US' },
  traits: { email: 'emily.johnson@example.com', plan: 'Enterprise', logins: 42, beta: true, tags: ['a', 'b'], score: '7.5', none: null, empty: '' },
};
const page = { type: 'page', anonymousId: 'x', properties: { path: '/' }, traits: {} };
const track = { type: 'track', event: 'Plan Upgraded', userId: 'u1', traits: { plan: 'Pro' } };

const c = (property: string, operator: FilterOperator, ...values: string[]): FilterCondition => ({ property, operator, values });
const on = (cond: FilterCondition, e: unknown = identify) => appliesCondition(cond, e);

describe('filter operators', () => {
  it('knows every Krenalis operator', () => {
    expect(FILTER_OPERATORS).toHaveLength(26);
  });

  it('is / is not: strings exactly, numbers numerically, booleans as true/false', () => {
    expect(on(c('type', 'is', 'identify'))).toBe(true);
    expect(on(c('type', 'is', 'Identify'))).toBe(false);
    expect(on(c('traits.logins', 'is', '42'))).toBe(true);
    expect(on(c('traits.logins', 'is', '42.0'))).toBe(true);
    expect(on(c('traits.logins', 'is', 'abc'))).toBe(false);
    expect(on(c('traits.beta', 'is', 'true'))).toBe(true);
    expect(on(c('traits.missing', 'is', ''))).toBe(false);
    expect(on(c('type', 'is not', 'track'))).toBe(true);
    expect(on(c('traits.missing', 'is not', 'x'))).toBe(true);
  });

  it('orders numbers and text', () => {
    expect(on(c('traits.logins', 'is greater than', '41'))).toBe(true);
    expect(on(c('traits.logins', 'is greater than', '42'))).toBe(false);
    expect(on(c('traits.logins', 'is greater than or equal to', '42'))).toBe(true);
    expect(on(c('traits.logins', 'is less than', '100'))).toBe(true); // 42 < 100 numerically
    expect(on(c('traits.logins', 'is less than or equal to', '41'))).toBe(false);
    expect(on(c('traits.score', 'is greater than', '10'))).toBe(false); // "7.5" compares as a number
    expect(on(c('traits.plan', 'is greater than', 'Basic'))).toBe(true);
    expect(on(c('traits.email', 'is less than', 'f'))).toBe(true);
    expect(on(c('traits.missing', 'is less than', '5'))).toBe(false);
    expect(on(c('traits.logins', 'is less than', 'abc'))).toBe(false);
  });

  it('between and not between include the bounds', () => {
    expect(on(c('traits.logins', 'is between', '42', '50'))).toBe(true);
    expect(on(c('traits.logins', 'is between', '1', '41'))).toBe(false);
    expect(on(c('traits.logins', 'is not between', '1', '41'))).toBe(true);
    expect(on(c('context.screen.density', 'is between', '1', '3'))).toBe(true);
  });

  it('contains, starts with, ends with, on text and arrays', () => {
    expect(on(c('traits.email', 'contains', '@example.'))).toBe(true);
    expect(on(c('traits.email', 'does not contain', '@example.'))).toBe(false);
    expect(on(c('traits.tags', 'contains', 'b'))).toBe(true);
    expect(on(c('traits.tags', 'contains', 'c'))).toBe(false);
    expect(on(c('traits.email', 'starts with', 'emily'))).toBe(true);
    expect(on(c('traits.email', 'ends with', '.com'))).toBe(true);
    expect(on(c('traits.logins', 'starts with', '4'))).toBe(false); // not text
    expect(on(c('traits.missing', 'contains', ''))).toBe(false);
    expect(on(c('traits.missing', 'does not contain', 'x'))).toBe(true);
  });

  it('is one of / is not one of', () => {
    expect(on(c('type', 'is one of', 'track', 'identify'))).toBe(true);
    expect(on(c('type', 'is one of', 'track', 'page'))).toBe(false);
    expect(on(c('type', 'is not one of', 'track', 'page'))).toBe(true);
    expect(on(c('traits.logins', 'is one of', '1', '42'))).toBe(true);
  });

  it('compares dates and date-times as instants', () => {
    expect(on(c('timestamp', 'is after', '2025-10-20'))).toBe(true);
    expect(on(c('timestamp', 'is before', '2025-10-21T00:00:00+02:00'))).toBe(true);
    expect(on(c('timestamp', 'is on or before', '2025-10-20T16:15:24.010Z'))).toBe(true);
    expect(on(c('timestamp', 'is on or after', '2025-10-20T18:15:24.010+02:00'))).toBe(true);
    expect(on(c('timestamp', 'is after', '2025-10-20T16:15:24.010Z'))).toBe(false);
    expect(on(c('traits.email', 'is after', '2020-01-01'))).toBe(false); // not a date
  });

  it('is true / is false only for booleans', () => {
    expect(on(c('traits.beta', 'is true'))).toBe(true);
    expect(on(c('traits.beta', 'is false'))).toBe(false);
    expect(on(c('traits.plan', 'is true'))).toBe(false);
    expect(on(c('traits.missing', 'is false'))).toBe(false);
  });

  it('empty, null and existence', () => {
    expect(on(c('traits', 'is not empty'))).toBe(true);
    expect(on(c('traits', 'is empty'), page)).toBe(true);
    expect(on(c('traits.empty', 'is empty'))).toBe(true);
    expect(on(c('traits.none', 'is empty'))).toBe(true);
    expect(on(c('traits.missing', 'is empty'))).toBe(true);
    expect(on(c('traits.tags', 'is not empty'))).toBe(true);
    expect(on(c('traits.logins', 'is empty'))).toBe(false);
    expect(on(c('traits.none', 'is null'))).toBe(true);
    expect(on(c('traits.missing', 'is null'))).toBe(false); // missing is not null
    expect(on(c('traits.missing', 'is not null'))).toBe(true);
    expect(on(c('traits.none', 'exists'))).toBe(true);
    expect(on(c('traits.missing', 'exists'))).toBe(false);
    expect(on(c('traits.missing', 'does not exist'))).toBe(true);
    expect(on(c('traits.email.deeper', 'exists'))).toBe(false);
  });

  it('never reads inherited properties', () => {
    expect(on(c('traits.constructor', 'exists'))).toBe(false);
    expect(on(c('__proto__', 'is not empty'))).toBe(false);
    expect(on(c('traits.toString', 'exists'))).toBe(false);
  });

  it('reads array elements by index', () => {
    expect(on(c('traits.tags.1', 'is', 'b'))).toBe(true);
    expect(on(c('traits.tags.5', 'exists'))).toBe(false);
  });
});

describe('filters', () => {
  it('the preset takes identify events and events with traits', () => {
    const f = compileFilter(presetFilter());
    expect(f(identify)).toBe(true);
    expect(f({ type: 'identify', userId: 'u' })).toBe(true); // identify without traits
    expect(f(track)).toBe(true); // traits on a track
    expect(f(page)).toBe(false); // empty traits
    expect(f({ type: 'page', anonymousId: 'x' })).toBe(false);
  });

  it('null means every event; and/or combine conditions', () => {
    expect(compileFilter(null)(page)).toBe(true);
    const and: Filter = { logical: 'and', conditions: [c('type', 'is', 'track'), c('traits.plan', 'is', 'Pro')] };
    expect(compileFilter(and)(track)).toBe(true);
    expect(compileFilter(and)(identify)).toBe(false);
    const or: Filter = { ...and, logical: 'or' };
    expect(compileFilter(or)(identify)).toBe(false);
    expect(compileFilter(or)({ type: 'track' })).toBe(true);
  });

  it('explains which conditions hold', () => {
    expect(explainFilter(presetFilter(), track)).toEqual({ passed: true, conditions: [false, true] });
    expect(explainFilter(null, track)).toEqual({ passed: true, conditions: [] });
  });

  it('summarizes readably', () => {
    expect(summarizeFilter(presetFilter())).toBe('type is "identify" or traits is not empty');
    expect(summarizeFilter(null)).toBe('All events');
    expect(
      summarizeFilter({
        logical: 'and',
        conditions: [c('type', 'is one of', 'track', 'page'), c('traits.logins', 'is between', '1', '10'), c('userId', 'exists')],
      }),
    ).toBe('type is one of "track", "page" and traits.logins is between "1" and "10" and userId exists');
  });

  it('validates operators, value counts, paths and dates', () => {
    expect(validateFilter(presetFilter())).toEqual([]);
    expect(validateFilter(null)).toEqual([]);
    const bad = (f: unknown) => validateFilter(f as Filter).map((p) => `${p.field}: ${p.message}`);
    expect(bad({ logical: 'and', conditions: [] })[0]).toMatch(/at least one condition/);
    expect(bad({ logical: 'and', conditions: [{ property: 'type', operator: 'equals', values: ['x'] }] })[0]).toMatch(
      /filter.conditions.0.operator: .*unknown operator "equals"/,
    );
    expect(bad({ logical: 'and', conditions: [c('type', 'is')] })[0]).toMatch(/needs one value/);
    expect(bad({ logical: 'and', conditions: [c('type', 'exists', 'x')] })[0]).toMatch(/takes no value/);
    expect(bad({ logical: 'and', conditions: [c('x', 'is between', '1')] })[0]).toMatch(/needs two values/);
    expect(bad({ logical: 'and', conditions: [c('x', 'is one of')] })[0]).toMatch(/at least one value/);
    expect(bad({ logical: 'and', conditions: [c('timestamp', 'is before', 'yesterday')] })[0]).toMatch(/not a date/);
    expect(bad({ logical: 'and', conditions: [c('traits..email', 'exists')] })[0]).toMatch(/not a property path/);
    expect(bad({ logical: 'and', conditions: [c('', 'exists')] })[0]).toMatch(/choose an event property/);
    expect(bad({ logical: 'xor', conditions: [c('a', 'exists')] })[0]).toMatch(/"and" or "or"/);
  });

  it('collects paths for autocomplete', () => {
    const paths = collectPaths(identify);
    expect(paths.has('traits.email')).toBe(true);
    expect(paths.has('context.os.name')).toBe(true);
    expect(paths.has('traits.tags')).toBe(true);
    expect(paths.has('traits.tags.0')).toBe(false);
  });
});
