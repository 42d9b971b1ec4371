// Data the pipeline pages share: the Customer Model, recent events (for
// autocomplete and the Test panel) and the live progress of pipelines.
import { useEffect, useState } from 'react';
import { api, errorMessage } from '../../api/client';
import type { PipelineStatus } from '../../../src-main/core/api/pipelines';
import { collectPaths } from '../../../src-main/core/pipelines/filter';
import { recentEvents } from '../sources/eventsApi';

export interface ModelProp {
  name: string;
  type: string;
  description?: string;
}

export function useModel(): { properties: ModelProp[] | null; error: string | null } {
  const [properties, setProperties] = useState<ModelProp[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api.model.get().then(
      (m) => live && setProperties(m.properties),
      (e) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, []);
  return { properties, error };
}

export interface SampleEvent {
  id: string;
  label: string;
  payload: Record<string, unknown>;
}

/** Paths every Segment event may have, for autocomplete before any event arrived. */
export const SEGMENT_PATHS = [
  'type',
  'event',
  'name',
  'userId',
  'anonymousId',
  'messageId',
  'timestamp',
  'receivedAt',
  'sentAt',
  'originalTimestamp',
  'traits',
  'traits.email',
  'traits.firstName',
  'traits.lastName',
  'traits.name',
  'traits.phone',
  'traits.company',
  'traits.plan',
  'traits.createdAt',
  'properties',
  'context',
  'context.ip',
  'context.locale',
  'context.timezone',
  'context.userAgent',
  'context.os.name',
  'context.os.version',
  'context.browser.name',
  'context.page.url',
  'context.page.path',
  'context.library.name',
  'context.traits',
];

/** The accepted events of the debugger's sample (newest first) and every path seen in them. */
export function useRecentEvents(sourceId: string): { events: SampleEvent[]; paths: string[]; error: string | null } {
  const [events, setEvents] = useState<SampleEvent[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    recentEvents(sourceId, 100).then(
      (r) => {
        if (!live) return;
        setEvents(
          r.events
            .filter((e) => e.status === 'accepted' && e.payload && typeof e.payload === 'object' && !Array.isArray(e.payload))
            .map((e) => ({
              id: e.id,
              label: `${e.type ?? '?'}${e.event ? ` “${e.event}”` : ''} · ${e.userId ?? e.anonymousId ?? ''}`,
              payload: e.payload as Record<string, unknown>,
            })),
        );
      },
      (e) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [sourceId]);
  const set = new Set<string>();
  for (const e of events) collectPaths(e.payload, set);
  for (const p of SEGMENT_PATHS) set.add(p);
  return { events, paths: [...set].sort(), error };
}

/** Live status of a source's pipelines, from pipelines.progress pushes. */
export function useProgress(sourceId: string): Record<string, PipelineStatus> {
  const [byId, setById] = useState<Record<string, PipelineStatus>>({});
  useEffect(
    () =>
      api.subscribe((msg) => {
        if (msg.event !== 'pipelines.progress') return;
        const p = msg.payload as { sourceId: string; status: PipelineStatus };
        if (p.sourceId !== sourceId) return;
        setById((s) => ({ ...s, [p.status.id]: p.status }));
      }),
    [sourceId],
  );
  return byId;
}

export const formatCount = (n: number) => n.toLocaleString('en-US');

/** "traits.firstName" for first_name. */
export function camelCase(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** A first mapping for a new pipeline: each property from the trait of the same name, when events have it. */
export function suggestMapping(props: ModelProp[], paths: string[]): Record<string, string> {
  const have = new Set(paths);
  const out: Record<string, string> = {};
  for (const p of props) {
    const camel = camelCase(p.name);
    const candidates = [`traits.${camel}`, `traits.${p.name}`, `traits.address.${camel}`, `context.traits.${camel}`].filter(
      (c, i, all) => all.indexOf(c) === i && have.has(c),
    );
    if (candidates.length === 1) out[p.name] = candidates[0];
    else if (candidates.length > 1) out[p.name] = `coalesce(${candidates.join(', ')})`;
  }
  return out;
}
