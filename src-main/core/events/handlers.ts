import type { Handlers } from '../api/contract';
import { notFound } from '../api/errors';
import type { CoreContext } from '../context';
import type { Loader } from './loader';
import type { EventLog } from './log';
import type { EventSample } from './sample';

export function eventsHandlers(ctx: CoreContext, log: EventLog, sample: EventSample, loader: Pick<Loader, 'flush'>): Pick<Handlers, 'events.recent' | 'events.stats'> {
  // Deleted sources keep their stored events, so their stats and sample stay readable.
  const known = (sourceId: string) => {
    if (!ctx.store.data.sources.some((s) => s.id === sourceId) && !log.sourceIds().includes(sourceId)) {
      throw notFound(`No source with id "${sourceId}"`);
    }
  };
  return {
    'events.recent': ({ sourceId, limit }) => {
      known(sourceId);
      return { events: sample.recent(sourceId, limit ?? 100) };
    },
    'events.stats': async ({ sourceId }) => {
      known(sourceId);
      // Counters are the log's: give the loader a moment to bring in what was just accepted.
      await loader.flush(2000);
      return log.stats(sourceId);
    },
  };
}
