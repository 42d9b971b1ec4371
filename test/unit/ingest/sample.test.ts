import { describe, expect, it } from 'vitest';
import { createEventSample, sampleEntries } from '../../../src-main/core/events/sample';
import type { EventsReceived, SampleEntry } from '../../../src-main/core/events/types';

const entry = (id: string, sourceId = 's1', status: SampleEntry['status'] = 'accepted'): SampleEntry => ({
  id,
  sourceId,
  receivedAt: '2025-11-02T09:00:00.000Z',
  type: 'track',
  status,
  payload: { id },
});

describe('event sample', () => {
  it('keeps the newest entries per source, newest first, at most capacity', () => {
    const s = createEventSample({ capacity: 3 });
    s.record('s1', [entry('b'), entry('a')]);
    s.record('s1', [entry('d'), entry('c')]);
    s.record('s2', [entry('x', 's2')]);
    expect(s.recent('s1').map((e) => e.id)).toEqual(['d', 'c', 'b']);
    expect(s.recent('s1', 2).map((e) => e.id)).toEqual(['d', 'c']);
    expect(s.recent('s2').map((e) => e.id)).toEqual(['x']);
    expect(s.recent('nope')).toEqual([]);
    s.clear('s1');
    expect(s.recent('s1')).toEqual([]);
  });

  it('makes lazy entries only when they are still among the newest, once, and a failing one gives none', async () => {
    const s = createEventSample({ capacity: 3, publishIntervalMs: 50 });
    const got: EventsReceived[] = [];
    s.subscribe((msg) => got.push(msg));
    const made: string[] = [];
    const lazy = (name: string, ids: string[]) => ({
      count: ids.length,
      get: () => {
        made.push(name);
        return ids.map((id) => entry(id));
      },
    });
    // Three requests in one turn: the newest has capacity entries, so the older ones are never made.
    s.record('s1', lazy('first', ['a2', 'a1']));
    s.record('s1', lazy('second', ['b1']));
    s.record('s1', lazy('third', ['c3', 'c2', 'c1']));
    await new Promise((r) => setTimeout(r, 10));
    expect(got.map((m) => m.events.map((e) => e.id))).toEqual([['c3', 'c2', 'c1']]);
    expect(s.recent('s1').map((e) => e.id)).toEqual(['c3', 'c2', 'c1']);
    expect(made).toEqual(['third']);
    // Fewer than capacity: the previous chunk fills the rest; nothing is made twice.
    s.record('s1', lazy('fourth', ['d1']));
    expect(s.recent('s1').map((e) => e.id)).toEqual(['d1', 'c3', 'c2']);
    expect(made).toEqual(['third', 'fourth']);
    // A failing chunk gives no entries and breaks nothing.
    s.record('s1', {
      count: 1,
      get: () => {
        throw new Error('boom');
      },
    });
    expect(s.recent('s1').map((e) => e.id)).toEqual(['d1', 'c3', 'c2']);
    s.close();
  });

  it('publishes after record, coalesced per source, within 250 ms', async () => {
    const s = createEventSample({ capacity: 100, publishIntervalMs: 50 });
    const got: { at: number; msg: EventsReceived }[] = [];
    const off = s.subscribe((msg) => got.push({ at: performance.now(), msg }));
    const t0 = performance.now();
    s.record('s1', [entry('1')]);
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toHaveLength(1);
    expect(got[0].at - t0).toBeLessThan(250);
    expect(got[0].msg).toEqual({ sourceId: 's1', events: [entry('1')] });
    // a burst right after: one more message with everything, newest first
    s.record('s1', [entry('2')]);
    s.record('s1', [entry('4'), entry('3')]);
    await new Promise((r) => setTimeout(r, 120));
    expect(got).toHaveLength(2);
    expect(got[1].msg.events.map((e) => e.id)).toEqual(['4', '3', '2']);
    expect(got[1].at - t0).toBeLessThan(250);
    off();
    s.record('s1', [entry('5')]);
    await new Promise((r) => setTimeout(r, 80));
    expect(got).toHaveLength(2);
    s.close();
  });

  it('a throwing subscriber does not stop the others', async () => {
    const s = createEventSample({ publishIntervalMs: 0 });
    const seen: string[] = [];
    s.subscribe(() => {
      throw new Error('broken');
    });
    s.subscribe((m) => seen.push(m.events[0].id));
    s.record('s1', [entry('a')]);
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['a']);
  });

  it('restores from the log, keeping entries recorded meanwhile in front', async () => {
    const s = createEventSample({ capacity: 3 });
    s.record('s1', [entry('new')]);
    await s.restore({
      sourceIds: () => ['s1', 's2'],
      recentBySource: async (id, limit) => [entry(`${id}-old1`, id), entry(`${id}-old2`, id), entry(`${id}-old3`, id)].slice(0, limit),
    });
    expect(s.recent('s1').map((e) => e.id)).toEqual(['new', 's1-old1', 's1-old2']);
    expect(s.recent('s2').map((e) => e.id)).toEqual(['s2-old1', 's2-old2', 's2-old3']);
  });
});

describe('sampleEntries', () => {
  const facts = (n: number) => ({ type: 'track', event: 'E', userId: `u${n}`, anonymousId: null, messageId: `m${n}` });
  it('interleaves accepted and rejected events by batch index, newest first', () => {
    const entries = sampleEntries(
      {
        sourceId: 's1',
        receivedAt: '2025-11-02T09:00:00.000Z',
        accepted: [
          { index: 0, facts: facts(0), payload: { n: 0 }, id: 'q-0' },
          { index: 2, facts: facts(2), payload: { n: 2 }, id: 'q-2' },
          { index: 3, facts: facts(3), payload: { n: 3 }, id: 'q-3' },
        ],
        rejected: [{ index: 1, facts: facts(1), payload: 'bad', reason: 'nope', id: 'q-1' }],
      },
      10,
    );
    expect(entries.map((e) => [e.status, e.id, e.reason ?? null])).toEqual([
      ['accepted', 'aq-3', null],
      ['accepted', 'aq-2', null],
      ['rejected', 'xq-1', 'nope'],
      ['accepted', 'aq-0', null],
    ]);
    expect(entries[0]).toMatchObject({ sourceId: 's1', userId: 'u3', messageId: 'm3', payload: { n: 3 } });
    expect(entries[2]).toMatchObject({ payload: 'bad' });
    expect(sampleEntries({ sourceId: 's1', receivedAt: 'x', accepted: [], rejected: [{ index: 0, facts: facts(0), payload: 1, reason: 'r', id: 'q-0' }] }, 0)).toEqual([]);
  });
});
