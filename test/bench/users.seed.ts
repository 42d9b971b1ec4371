// Fills a data folder's warehouse with realistic users through the DuckDB appender
// (used by the users benchmark and the end-to-end tests). The folder is initialised by
// the app's own code (workspace.json, migrations, users from the Customer Model) first.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DuckDBInstance, DuckDBTimestampTZValue, type DuckDBAppender } from '@duckdb/node-api';
import { createLiveHub } from '../../src-main/core/api/push';
import type { CoreContext } from '../../src-main/core/context';
import { reconcileUsersTable } from '../../src-main/core/model/migrate';
import { openWarehouse } from '../../src-main/core/warehouse/open';
import { openWorkspace } from '../../src-main/core/workspace/store';

const FIRST = ['Anna', 'Marco', 'Giulia', 'Luca', 'Sofia', 'Matteo', 'Emma', 'Noah', 'Olivia', 'Liam', 'Chiara', 'Pablo', 'Lucía', 'Hugo', 'Léa', 'Jonas', 'Mia', 'Ben', 'Aiko', 'Ravi', 'Priya', 'Omar', 'Fatima', 'Chen', 'Wei', 'Sara', 'David', 'Elena', 'Ivan', 'Nina'];
const LAST = ['Rossi', 'Bianchi', 'Smith', 'Johnson', 'García', 'Martínez', 'Müller', 'Schmidt', 'Dubois', 'Martin', 'Tanaka', 'Sato', 'Kumar', 'Patel', 'Haddad', 'Nguyen', 'Kowalski', 'Novak', 'Jensen', 'Silva', 'Costa', 'Ferrari', 'Russo', 'Brown', 'Wilson', 'Moreau', 'Weber', 'Ivanova', 'Kim', 'Lee'];
const DOMAINS = ['gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'proton.me', 'acme.io', 'example.com', 'fastmail.com'];
const COMPANIES = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Stark Industries', 'Wayne Enterprises', 'Hooli', 'Pied Piper', 'Vandelay', 'Soylent', 'Tyrell', 'Cyberdyne', 'Wonka', 'Gringotts', 'Monarch', 'Oscorp'];
const TITLES = ['Software Engineer', 'Product Manager', 'Data Analyst', 'Designer', 'Marketing Manager', 'CTO', 'Founder', 'Sales Lead', 'Support Specialist', 'Growth Hacker', null];
const PLANS = ['free', 'free', 'free', 'starter', 'pro', 'pro', 'team', 'enterprise'];
const PLACES: [string, string[]][] = [
  ['Italy', ['Milan', 'Rome', 'Turin', 'Bologna', 'Naples']],
  ['United States', ['New York', 'San Francisco', 'Austin', 'Seattle', 'Chicago']],
  ['Germany', ['Berlin', 'Munich', 'Hamburg']],
  ['France', ['Paris', 'Lyon', 'Marseille']],
  ['Spain', ['Madrid', 'Barcelona', 'Valencia']],
  ['United Kingdom', ['London', 'Manchester', 'Edinburgh']],
  ['Japan', ['Tokyo', 'Osaka']],
  ['India', ['Bangalore', 'Mumbai', 'Delhi']],
  ['Brazil', ['São Paulo', 'Rio de Janeiro']],
];

/** A small deterministic PRNG so that runs are comparable. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Create workspace.json and the warehouse (migrations + users from the default model) in `dir`. */
export async function initDataDir(dir: string) {
  const store = await openWorkspace(join(dir, 'workspace.json'));
  const warehouse = await openWarehouse(join(dir, 'warehouse.duckdb'));
  const ctx = { dataDir: dir, version: 'seed', store, warehouse, live: createLiveHub(), ingest: null, overrides: {} } as unknown as CoreContext;
  await reconcileUsersTable(ctx, () => undefined);
  await warehouse.close();
}

export interface SeedOptions {
  /** Also write `events` rows (the event log's DDL) for the first `eventsFor` users. */
  eventsFor?: number;
  seed?: number;
  onProgress?: (done: number) => void;
}

const micros = (ms: number) => new DuckDBTimestampTZValue(BigInt(Math.round(ms)) * 1000n);
const str = (a: DuckDBAppender, v: string | null) => (v === null ? a.appendNull() : a.appendVarchar(v));

/**
 * Append `n` users (default Customer Model columns) and their identities (one per user: a
 * userId for ~70%, always an anonymousId) with the DuckDB appender. `_id`s are UUIDs.
 */
export async function seedUsers(dir: string, n: number, opts: SeedOptions = {}): Promise<{ sampleIds: string[]; sampleUserIds: string[]; sampleAnonymousIds: string[] }> {
  const random = rng(opts.seed ?? 42);
  const pick = <T,>(a: readonly T[]) => a[Math.floor(random() * a.length)];
  const instance = await DuckDBInstance.create(join(dir, 'warehouse.duckdb'));
  const conn = await instance.connect();
  const users = await conn.createAppender('users');
  const ids = await conn.createAppender('user_identities');
  const now = Date.parse('2026-11-30T12:00:00Z');
  const sampleIds: string[] = [];
  const sampleUserIds: string[] = [];
  const sampleAnonymousIds: string[] = [];
  const events: { id: string; userId: string | null; anon: string; at: number; email: string; first: string }[] = [];
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    const first = pick(FIRST);
    const last = pick(LAST);
    const [country, cities] = pick(PLACES);
    const created = now - random() * 3 * 365 * 86400_000;
    const updated = created + random() * (now - created);
    const local = `${first}.${last}`.toLowerCase().normalize('NFD').replace(/[^a-z.]/g, '');
    const email = `${local}${i % 7 === 0 ? '' : Math.floor(random() * 10_000)}@${pick(DOMAINS)}`;
    users.appendVarchar(id);
    users.appendTimestampTZ(micros(created));
    users.appendTimestampTZ(micros(updated));
    str(users, email);
    str(users, random() < 0.04 ? null : first);
    str(users, random() < 0.06 ? null : last);
    str(users, random() < 0.3 ? null : `+${1 + Math.floor(random() * 98)} ${Math.floor(100 + random() * 900)} ${Math.floor(1_000_000 + random() * 8_999_999)}`);
    str(users, random() < 0.2 ? null : pick(COMPANIES));
    str(users, pick(TITLES));
    str(users, pick(PLANS));
    str(users, country);
    str(users, pick(cities));
    users.appendTimestampTZ(micros(created - random() * 86400_000));
    users.endRow();

    const userId = random() < 0.7 ? `user_${(1_000_000 + i).toString(36)}` : null;
    const anon = randomUUID();
    ids.appendVarchar(id);
    ids.appendVarchar('src_web');
    str(ids, userId);
    ids.appendVarchar(anon);
    ids.appendTimestampTZ(micros(created));
    ids.appendTimestampTZ(micros(updated));
    ids.endRow();
    if (i < 20) {
      sampleIds.push(id);
      if (userId) sampleUserIds.push(userId);
      sampleAnonymousIds.push(anon);
    }
    if (opts.eventsFor && i < opts.eventsFor) events.push({ id, userId, anon, at: updated, email, first });
    if (i % 100_000 === 99_999) {
      users.flushSync();
      ids.flushSync();
      opts.onProgress?.(i + 1);
    }
  }
  users.closeSync();
  ids.closeSync();
  if (events.length) {
    const { EVENTS_MIGRATIONS } = await import('../../src-main/core/events/schema');
    for (const sql of EVENTS_MIGRATIONS[0].sql) await conn.run(sql);
    let seq = 1;
    for (const e of events) {
      for (let k = 0; k < 3; k++) {
        const type = k === 0 ? 'identify' : k === 1 ? 'page' : 'track';
        const at = new Date(e.at - (2 - k) * 3600_000).toISOString();
        const raw = {
          type,
          messageId: `msg-${seq}`,
          userId: e.userId,
          anonymousId: e.anon,
          timestamp: at,
          ...(type === 'identify' ? { traits: { email: e.email, first_name: e.first } } : {}),
          ...(type === 'track' ? { event: 'Order Completed', properties: { total: 42.5, currency: 'EUR' } } : {}),
          ...(type === 'page' ? { name: 'Pricing', properties: { path: '/pricing' } } : {}),
        };
        await conn.run(
          `INSERT INTO events (seq, source_id, message_id, dedupe_key, type, event, user_id, anonymous_id, "timestamp", received_at, raw)
           VALUES ($1, 'src_web', $2, $1, $3, $4, $5, $6, $7::TIMESTAMPTZ, $7::TIMESTAMPTZ, $8::JSON)`,
          [seq, `msg-${seq}`, type, type === 'track' ? 'Order Completed' : null, e.userId, e.anon, at, JSON.stringify(raw)],
        );
        seq++;
      }
    }
  }
  await conn.run('CHECKPOINT');
  conn.closeSync();
  instance.closeSync();
  return { sampleIds, sampleUserIds, sampleAnonymousIds };
}
