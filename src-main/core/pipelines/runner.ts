/**
 * The runner: each enabled pipeline consumes the event log of its source from
 * its cursor, in batches: filter -> transform -> validate/coerce -> identity ->
 * upsert into users, with the cursor advanced in the SAME transaction (a crash
 * replays a batch, never skips or doubles one).
 *
 * One runner per core, one DuckDB connection, one batch at a time: pipelines
 * take turns (round robin), so a slow or hostile pipeline delays the others by
 * at most one batch time budget. Inside a batch the runner yields to the event
 * loop every few milliseconds (QuickJS runs in-process), and a batch that runs
 * past its budget commits the events processed so far and lets the next
 * pipeline run. Disabling, editing, replaying or deleting a pipeline bumps its
 * generation: a batch in flight for it is rolled back at once.
 */
import { randomUUID } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { MetricCounts, Pipeline, PipelineErrorKind, PipelineStatus } from '../api/pipelines';
import type { CoreContext } from '../context';
import { currentModel } from '../model/migrate';
import { validateOutput } from '../transform/validate';
import type { ModelLike, Transformation, TransformResult } from '../transform/types';
import { describeTransformationError, makeTransformer, TransformationInvalid, type EventTransformer } from './engine';
import { compileFilter, type Filter } from './filter';
import { mergeValues, resolveIdentities, type AcceptedEvent } from './identity';
import { countEvents, describeUsers, isMissingTable, loadArrays, loadTimes, lookupIdentities, readEvents, writeUsers, type LogRow } from './sql';
import { allPipelines } from './store';
import { identifierKeys, makeRules, usableId } from '../identity/rules';
import { lookupKeys, readBlocked, writeIdentityProps, writeIdentityValues } from '../identity/store';

export interface RunnerOptions {
  /** Most events read per batch (default 5000). */
  batchSize?: number;
  /** A batch commits what it processed once it has run this long (default 300 ms). */
  batchBudgetMs?: number;
  /** Yield to the event loop inside a batch at least this often (default 10 ms). */
  yieldEveryMs?: number;
  /** Check for new events this often when idle (default 1000 ms); ingestion also wakes the runner. */
  pollMs?: number;
  /** Minimum delay between progress push events of one pipeline (default 500 ms). */
  progressEveryMs?: number;
}

const DEFAULTS = { batchSize: 5000, batchBudgetMs: 300, yieldEveryMs: 10, pollMs: 1000, progressEveryMs: 500 };

const MAX_ERROR_MESSAGE = 500;
/** Most events per engine call of a JavaScript/Python transformation. */
const MAX_CHUNK = 512;
const MAX_ERROR_GROUPS_PER_BATCH = 200;
/** A pipeline-level failure (engine not starting, users table missing) is retried after this long. */
const RETRY_MS = 5000;

interface Entry {
  generation: number;
  cursor: number | null;
  replayUntil: number | null;
  transformer: { key: string; t: EventTransformer } | null;
  readSize: number;
  /** Events per engine call (code transformations), adapted to how long calls take. */
  chunk: number;
  lastRunAt: string | null;
  lastError: string | null;
  retryAt: number;
  /** Transaction conflicts in a row (retried quietly). */
  conflicts: number;
  lastProgressAt: number;
}

interface ErrorGroup {
  kind: PipelineErrorKind;
  code: string;
  message: string;
  count: number;
  firstAt: number;
  lastAt: number;
  lastMessageId: string | null;
  lastSeq: number;
}

const zeroCounts = (): MetricCounts => ({
  received: 0,
  filteredOut: 0,
  transformFailed: 0,
  invalidOutput: 0,
  usersCreated: 0,
  usersUpdated: 0,
});

const tick = () => new Promise<void>((r) => setImmediate(r));

class Aborted extends Error {}

/** Where the runner's time goes (ms, cumulative); for the benchmark and diagnostics. */
export interface RunnerStats {
  batches: number;
  read: number;
  transform: number;
  lookup: number;
  write: number;
  commit: number;
}

export class PipelineRunner {
  private readonly opts: typeof DEFAULTS;
  private readonly entries = new Map<string, Entry>();
  private conn: DuckDBConnection | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private lock: Promise<unknown> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;
  private readonly reads = new Set<Promise<unknown>>();
  readonly stats: RunnerStats = { batches: 0, read: 0, transform: 0, lookup: 0, write: 0, commit: 0 };

  constructor(
    private readonly ctx: CoreContext,
    opts: RunnerOptions = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  // -------------------------------------------------------------------------
  // Lifecycle

  async start(): Promise<void> {
    if (this.loop) return;
    this.stopping = false;
    await this.exclusive((c) => this.loadStates(c));
    // Ingestion publishes after each commit: wake up for the sources that got events.
    this.unsubscribe = this.ctx.live.subscribe((msg) => {
      if ((msg.event as string).startsWith('events.')) this.wake();
    });
    this.loop = this.run();
  }

  /** Stop at once: a batch in flight is rolled back (it will be replayed), engines are disposed. */
  async stop(): Promise<void> {
    if (!this.loop) return;
    this.stopping = true;
    for (const e of this.entries.values()) e.generation++;
    this.wake();
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.loop.catch(() => undefined);
    this.loop = null;
    if (this.conn) await this.exclusive(async () => undefined);
    await Promise.allSettled([...this.reads]);
    for (const e of this.entries.values()) await this.dropTransformer(e);
    try {
      this.conn?.closeSync();
    } catch {
      /* already closed with the warehouse */
    }
    this.conn = null;
  }

  /**
   * Run something on the runner's connection, one thing at a time: reads of the
   * log, batch commits, cursor resets. Anything else that writes users or
   * pipeline state should go through here too.
   */
  exclusive<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const run = async () => {
      this.conn ??= await this.ctx.warehouse.connect();
      return fn(this.conn);
    };
    const next = this.lock.then(run, run);
    this.lock = next.catch(() => undefined);
    return next;
  }

  wake(): void {
    this.woken = true;
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  /** A pipeline was edited, enabled, disabled or deleted: roll back its batch in flight, rebuild its engine. */
  touch(id: string): void {
    const e = this.entry(id);
    e.generation++;
    e.lastError = null;
    e.retryAt = 0;
    e.readSize = this.opts.batchSize;
    e.chunk = 8;
    void this.dropTransformer(e);
    this.wake();
  }

  async forget(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (e) {
      e.generation++;
      await this.dropTransformer(e);
    }
    this.entries.delete(id);
    await this.exclusive(async (conn) => {
      await conn.run('BEGIN TRANSACTION');
      try {
        await conn.run('DELETE FROM pipeline_state WHERE pipeline_id = $1', [id]);
        await conn.run('DELETE FROM pipeline_metrics WHERE pipeline_id = $1', [id]);
        await conn.run('DELETE FROM pipeline_errors WHERE pipeline_id = $1', [id]);
        await conn.run('COMMIT');
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** Reset the cursor (the whole log is processed again) and clear the error list. */
  async replay(p: Pipeline): Promise<void> {
    const e = this.entry(p.id);
    e.generation++;
    await this.exclusive(async (conn) => {
      const { maxSeq } = await countEvents(conn, p.sourceId, 0);
      await conn.run('BEGIN TRANSACTION');
      try {
        await this.ensureState(conn, p.id);
        await conn.run('UPDATE pipeline_state SET cursor = 0, replay_until = $2, updated_at = now() WHERE pipeline_id = $1', [p.id, maxSeq]);
        await conn.run('DELETE FROM pipeline_errors WHERE pipeline_id = $1', [p.id]);
        await conn.run('COMMIT');
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
      e.cursor = 0;
      e.replayUntil = maxSeq > 0 ? maxSeq : null;
    });
    e.lastError = null;
    e.retryAt = 0;
    e.readSize = this.opts.batchSize;
    this.wake();
  }

  /** Progress of a pipeline, read on a connection of its own (never the runner's). */
  async status(p: Pipeline): Promise<PipelineStatus> {
    const e = this.entry(p.id);
    const own = await this.ctx.warehouse.instance.connect();
    try {
      if (e.cursor === null) await this.loadState(own, p.id);
      const cursor = e.cursor ?? 0;
      const { processed, total } = await countEvents(own, p.sourceId, cursor);
      return {
        id: p.id,
        enabled: p.enabled,
        cursor,
        processed,
        pending: total - processed,
        total,
        replaying: e.replayUntil !== null,
        lastRunAt: e.lastRunAt,
        lastError: e.lastError,
      };
    } finally {
      own.closeSync();
    }
  }

  // -------------------------------------------------------------------------
  // The loop

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.woken = false;
      let more = false;
      const pipelines = allPipelines(this.ctx.store.data).filter((p) => p.enabled);
      for (const p of pipelines) {
        if (this.stopping) break;
        const e = this.entry(p.id);
        if (e.retryAt > Date.now()) continue;
        try {
          if (await this.runBatch(p)) more = true;
          e.conflicts = 0;
          if (e.lastError !== null) {
            e.lastError = null;
            this.progress(p, true);
          }
        } catch (err) {
          if (err instanceof Aborted || this.stopping) continue;
          const message = err instanceof Error ? err.message : String(err);
          // Another writer (e.g. a Customer Model migration altering users) won the race:
          // the batch was rolled back whole; try again shortly, quietly at first.
          if (/conflict|altered/i.test(message) && ++e.conflicts <= 20) {
            e.retryAt = Date.now() + 100 * e.conflicts;
            continue;
          }
          e.lastError = message;
          e.retryAt = Date.now() + RETRY_MS;
          this.progress(p, true);
        }
        await tick();
      }
      if (!more && !this.woken && !this.stopping) await this.sleep(this.opts.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  /** One batch of one pipeline; true when there may be more to do right away. */
  private async runBatch(p: Pipeline): Promise<boolean> {
    const e = this.entry(p.id);
    const generation = e.generation;
    const check = () => {
      if (this.stopping || e.generation !== generation) throw new Aborted();
    };
    let rows: LogRow[];
    let scannedTo: number;
    let blocked: string[] = [];
    const tRead = performance.now();
    try {
      ({ rows, scannedTo } = await this.exclusive(async (c) => {
        if (e.cursor === null) await this.loadState(c, p.id);
        blocked = await readBlocked(c);
        return readEvents(c, p.sourceId, e.cursor ?? 0, e.readSize);
      }));
    } catch (err) {
      if (isMissingTable(err, 'events')) return false; // no event log yet
      throw err;
    }
    check();
    if (rows.length === 0) {
      // Only other sources' events: move past them.
      const advanced = scannedTo > (e.cursor ?? 0);
      if (advanced) {
        await this.exclusive(async (c) => {
          check();
          await this.ensureState(c, p.id);
          await c.run('UPDATE pipeline_state SET cursor = $2, updated_at = now() WHERE pipeline_id = $1', [p.id, scannedTo]);
          e.cursor = scannedTo;
        });
      }
      if (e.replayUntil !== null && (e.cursor ?? 0) >= e.replayUntil) await this.endReplay(p, e);
      return advanced;
    }
    this.stats.read += performance.now() - tRead;
    const model = currentModel(this.ctx) as ModelLike;
    const transformer = await this.transformerFor(p, e, model);
    check();
    const filter = compileFilter(p.filter as Filter | null);
    const rules = makeRules(model, blocked);

    const counts = zeroCounts();
    const errors = new Map<string, ErrorGroup>();
    const accepted: AcceptedEvent[] = [];
    const started = performance.now();
    let lastYield = started;
    let done = 0;
    const fail = (kind: PipelineErrorKind, code: string, message: string, row: LogRow) => {
      let text = message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE)}…` : message;
      if (!errors.has(text) && errors.size >= MAX_ERROR_GROUPS_PER_BATCH) text = 'More distinct errors in this batch than shown';
      const now = Date.now();
      const g = errors.get(text);
      if (g) {
        g.count++;
        g.lastAt = now;
        g.lastMessageId = row.messageId;
        g.lastSeq = row.seq;
      } else {
        errors.set(text, { kind, code, message: text, count: 1, firstAt: now, lastAt: now, lastMessageId: row.messageId, lastSeq: row.seq });
      }
    };

    const accept = (row: LogRow, result: TransformResult) => {
      if (!result.ok) {
        counts.transformFailed++;
        fail('transformation', result.code, result.error, row);
        return;
      }
      const checked = validateOutput(result.output, model);
      if (checked.errors.length > 0) {
        counts.invalidOutput++;
        const msg = checked.errors.map((x) => (x.property ? `${x.property}: ${x.message}` : x.message)).join('; ');
        fail('validation', 'invalid-output', msg, row);
        return;
      }
      const userId = usableId(row.userId, rules);
      const anonymousId = usableId(row.anonymousId, rules);
      if (userId === null && anonymousId === null) {
        counts.invalidOutput++;
        if (row.userId === null && row.anonymousId === null) fail('identity', 'no-identity', 'the event has neither userId nor anonymousId', row);
        else fail('identity', 'blocked-identity', 'the event\'s userId and anonymousId are blocked values (Identity resolution settings)', row);
        return;
      }
      const values: Record<string, unknown> = {};
      for (const k of Object.keys(checked.values)) {
        const v = checked.values[k];
        if (v !== null && v !== undefined) Object.defineProperty(values, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      accepted.push({ seq: row.seq, ts: row.ts, userId, anonymousId, values, keys: identifierKeys(values, rules) });
    };

    // Events go to the engine in chunks (one round trip to a worker each); the chunk grows
    // while chunks are quick and shrinks to one event when the code is slow or hostile.
    const isCode = p.transformation.kind !== 'mapping';
    while (done < rows.length) {
      const now = performance.now();
      if (done > 0 && now - started > this.opts.batchBudgetMs) break;
      if (now - lastYield > this.opts.yieldEveryMs) {
        await tick();
        lastYield = performance.now();
      }
      check();
      const limit = isCode ? e.chunk : 256;
      const chunkRows: LogRow[] = [];
      const chunkEvents: unknown[] = [];
      while (done < rows.length && chunkRows.length < limit) {
        const row = rows[done++];
        counts.received++;
        let event: unknown;
        try {
          event = JSON.parse(row.raw);
        } catch {
          counts.transformFailed++;
          fail('transformation', 'invalid-input', 'the stored event is not valid JSON', row);
          continue;
        }
        if (!filter(event)) {
          counts.filteredOut++;
          continue;
        }
        chunkRows.push(row);
        chunkEvents.push(event);
      }
      if (chunkRows.length === 0) continue;
      const t0 = performance.now();
      const results = await transformer.runMany(chunkEvents);
      check();
      const took = performance.now() - t0;
      if (isCode) {
        if (took > this.opts.batchBudgetMs / 2) e.chunk = Math.max(1, Math.floor(e.chunk / 4));
        else if (took < this.opts.batchBudgetMs / 8 && chunkRows.length === e.chunk) e.chunk = Math.min(MAX_CHUNK, e.chunk * 2);
      }
      for (let i = 0; i < chunkRows.length; i++) accept(chunkRows[i], results[i]);
    }
    check();
    this.stats.transform += performance.now() - started;
    const lastSeq = done === rows.length ? scannedTo : rows[done - 1].seq;
    // Adapt the next read to what fits in the budget (hostile code: a few events; mappings: the full batch).
    e.readSize = done < rows.length ? Math.max(16, Math.min(this.opts.batchSize, done * 2)) : Math.min(this.opts.batchSize, e.readSize * 2);

    await this.exclusive(async (c) => {
      check();
      await c.run('BEGIN TRANSACTION');
      try {
        await this.ensureState(c, p.id);
        if (accepted.length > 0) {
          const users = await describeUsers(c);
          if (!users) throw new Error('The users table does not exist yet: define the Customer Model first');
          const userIds = new Set<string>();
          const anonIds = new Set<string>();
          for (const a of accepted) {
            if (a.userId !== null) userIds.add(a.userId);
            if (a.anonymousId !== null) anonIds.add(a.anonymousId);
          }
          const tLookup = performance.now();
          const lookup = await lookupIdentities(c, p.sourceId, [...userIds], [...anonIds]);
          await lookupKeys(c, lookup, accepted.flatMap((a) => a.keys ?? []), rules.identifiers);
          const res = resolveIdentities(accepted, lookup, randomUUID);
          const affected = new Set<string>([...res.userOf, ...res.merges.keys(), ...res.merges.values()]);
          for (const id of res.created) affected.delete(id);
          const times = await loadTimes(c, [...affected]);
          // Array properties are unioned: what the affected users hold is read first.
          const arrayProps = model.properties.filter((x) => x.type === 'array' && users.columns.has(x.name)).map((x) => x.name);
          const arrays = await loadArrays(c, [...affected], arrayProps);
          const merged = mergeValues(accepted, res.userOf, res.merges, times, new Set(arrayProps), arrays);
          const tWrite = performance.now();
          this.stats.lookup += tWrite - tLookup;
          const written = await writeUsers(c, {
            sourceId: p.sourceId,
            users,
            modelTypes: new Map(model.properties.map((x) => [x.name, x.type])),
            created: res.created,
            changes: merged.users,
            merges: res.merges,
            takes: merged.merges,
            identities: res.identities,
            joinedAnonymousIds: res.joinedAnonymousIds,
          });
          await writeIdentityValues(c, { sourceId: p.sourceId, merges: res.merges, reasons: res.reasons, values: res.values });
          await writeIdentityProps(c, p.sourceId, accepted, new Set(arrayProps));
          this.stats.write += performance.now() - tWrite;
          counts.usersCreated = res.created.size;
          counts.usersUpdated = written.updated;
        }
        await this.writeMetrics(c, p.id, counts);
        await this.writeErrors(c, p.id, errors);
        await c.run('UPDATE pipeline_state SET cursor = $2, last_run_at = now(), updated_at = now() WHERE pipeline_id = $1', [p.id, lastSeq]);
        check();
        const tCommit = performance.now();
        await c.run('COMMIT');
        this.stats.commit += performance.now() - tCommit;
        this.stats.batches++;
      } catch (err) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
      e.cursor = lastSeq;
      e.lastRunAt = new Date().toISOString();
    });
    if (e.replayUntil !== null && lastSeq >= e.replayUntil) await this.endReplay(p, e);
    else this.progress(p, false);
    return true;
  }

  // -------------------------------------------------------------------------
  // State, metrics, errors

  private entry(id: string): Entry {
    let e = this.entries.get(id);
    if (!e) {
      e = {
        generation: 0,
        cursor: null,
        replayUntil: null,
        transformer: null,
        readSize: this.opts.batchSize,
        chunk: 8,
        lastRunAt: null,
        lastError: null,
        retryAt: 0,
        conflicts: 0,
        lastProgressAt: 0,
      };
      this.entries.set(id, e);
    }
    return e;
  }

  private async loadStates(conn: DuckDBConnection): Promise<void> {
    const r = await conn.runAndReadAll('SELECT pipeline_id, cursor, replay_until, CAST(last_run_at AS VARCHAR) FROM pipeline_state');
    for (const [id, cursor, until, lastRun] of r.getRows() as [string, bigint, bigint | null, string | null][]) {
      const e = this.entry(id);
      e.cursor = Number(cursor);
      e.replayUntil = until === null ? null : Number(until);
      e.lastRunAt = lastRun ? new Date(lastRun).toISOString() : null;
    }
  }

  private async loadState(conn: DuckDBConnection, id: string): Promise<void> {
    const r = await conn.runAndReadAll('SELECT cursor, replay_until FROM pipeline_state WHERE pipeline_id = $1', [id]);
    const row = r.getRows()[0] as [bigint, bigint | null] | undefined;
    const e = this.entry(id);
    e.cursor = row ? Number(row[0]) : 0;
    e.replayUntil = row && row[1] !== null ? Number(row[1]) : null;
  }

  private async ensureState(conn: DuckDBConnection, id: string): Promise<void> {
    await conn.run('INSERT INTO pipeline_state (pipeline_id) VALUES ($1) ON CONFLICT DO NOTHING', [id]);
  }

  private async endReplay(p: Pipeline, e: Entry): Promise<void> {
    await this.exclusive(async (c) => {
      await c.run('UPDATE pipeline_state SET replay_until = NULL WHERE pipeline_id = $1', [p.id]);
    });
    e.replayUntil = null;
    this.progress(p, true);
  }

  private async writeMetrics(conn: DuckDBConnection, id: string, c: MetricCounts): Promise<void> {
    if (c.received === 0) return;
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    await conn.run(
      `INSERT INTO pipeline_metrics VALUES ($1, make_timestamptz($2::BIGINT * 1000), $3, $4, $5, $6, $7, $8)
         ON CONFLICT (pipeline_id, minute) DO UPDATE SET
           received = pipeline_metrics.received + EXCLUDED.received,
           filtered_out = pipeline_metrics.filtered_out + EXCLUDED.filtered_out,
           transform_failed = pipeline_metrics.transform_failed + EXCLUDED.transform_failed,
           invalid_output = pipeline_metrics.invalid_output + EXCLUDED.invalid_output,
           users_created = pipeline_metrics.users_created + EXCLUDED.users_created,
           users_updated = pipeline_metrics.users_updated + EXCLUDED.users_updated`,
      [id, minute, c.received, c.filteredOut, c.transformFailed, c.invalidOutput, c.usersCreated, c.usersUpdated],
    );
  }

  private async writeErrors(conn: DuckDBConnection, id: string, errors: Map<string, ErrorGroup>): Promise<void> {
    for (const g of errors.values()) {
      await conn.run(
        `INSERT INTO pipeline_errors VALUES ($1, $2, $3, $4, $5, make_timestamptz($6::BIGINT * 1000), make_timestamptz($7::BIGINT * 1000), $8, $9)
           ON CONFLICT (pipeline_id, message) DO UPDATE SET
             count = pipeline_errors.count + EXCLUDED.count,
             kind = EXCLUDED.kind, code = EXCLUDED.code,
             last_at = EXCLUDED.last_at, last_message_id = EXCLUDED.last_message_id, last_seq = EXCLUDED.last_seq`,
        [id, g.message, g.kind, g.code, g.count, g.firstAt, g.lastAt, g.lastMessageId, g.lastSeq],
      );
    }
  }

  private progress(p: Pipeline, force: boolean): void {
    const e = this.entry(p.id);
    const now = Date.now();
    if (!force && now - e.lastProgressAt < this.opts.progressEveryMs) return;
    e.lastProgressAt = now;
    if (this.stopping) return;
    const read = this.status(p)
      .then((status) => this.ctx.live.publish('pipelines.progress', { sourceId: p.sourceId, status }))
      .catch(() => undefined)
      .finally(() => this.reads.delete(read));
    this.reads.add(read);
  }

  // -------------------------------------------------------------------------
  // Engines

  private async transformerFor(p: Pipeline, e: Entry, model: ModelLike): Promise<EventTransformer> {
    const key = JSON.stringify([p.transformation, model.properties.map((x) => [x.name, x.type])]);
    if (e.transformer && e.transformer.key === key) return e.transformer.t;
    await this.dropTransformer(e);
    const t = await makeTransformerChecked(p.transformation, model);
    e.transformer = { key, t };
    return t;
  }

  private async dropTransformer(e: Entry): Promise<void> {
    const t = e.transformer;
    e.transformer = null;
    if (t) await t.t.dispose().catch(() => undefined);
  }
}

async function makeTransformerChecked(t: Transformation, model: ModelLike): Promise<EventTransformer> {
  try {
    return await makeTransformer(t, model);
  } catch (err) {
    if (err instanceof TransformationInvalid) {
      // E.g. a property the mapping uses was removed from the Customer Model.
      throw new Error(`The transformation is not valid: ${err.errors.map(describeTransformationError).join('; ')}`);
    }
    throw err;
  }
}
