import type { DuckDBConnection } from '@duckdb/node-api';
import type { CustomerModel, ModelChange, ModelPreview, ModelProperty, ModelPropertyInput, PropertyType } from '../api/model';
import { ApiError, badRequest } from '../api/errors';
import type { CoreContext } from '../context';
import { planChanges, planSql, type PlannedStep } from './plan';
import { apiValue, convertExpr, createUsersSql, duckType, propertyTypeOf, q, tableColumns, USERS_TABLE } from './sql';
import { stripInputFields, validateProperties } from './validate';

/** app_meta key holding the model (properties + revision) the users table matches, written in the migration's transaction. */
export const USERS_MODEL_KEY = 'users_model';
const SAMPLES = 10;

/** Test hooks: make a migration fail after its n-th statement (to prove it rolls back whole). */
export const migrationTestHooks: { afterStatement?: (index: number, sql: string) => void | Promise<void> } = {};

export function normalizeModel(raw: unknown): CustomerModel {
  const m = (raw ?? {}) as { properties?: unknown; revision?: unknown };
  const properties = Array.isArray(m.properties) ? (m.properties as ModelProperty[]) : [];
  return { properties: structuredClone(properties), revision: typeof m.revision === 'number' ? m.revision : 0 };
}

interface ModelState {
  /** Set when the warehouse moved on but workspace.json could not be saved: the warehouse wins. */
  override: CustomerModel | null;
  conn: DuckDBConnection | null;
  queue: Promise<unknown>;
}
const states = new WeakMap<CoreContext, ModelState>();
function state(ctx: CoreContext): ModelState {
  let s = states.get(ctx);
  if (!s) states.set(ctx, (s = { override: null, conn: null, queue: Promise.resolve() }));
  return s;
}

/** The Customer Model the users table currently matches. */
export function currentModel(ctx: CoreContext): CustomerModel {
  return state(ctx).override ?? normalizeModel(ctx.store.data.model);
}

async function connection(ctx: CoreContext): Promise<DuckDBConnection> {
  const s = state(ctx);
  if (!s.conn) s.conn = await ctx.warehouse.connect();
  return s.conn;
}

/** Model changes are serialized: one migration at a time. */
function serialized<T>(ctx: CoreContext, fn: () => Promise<T>): Promise<T> {
  const s = state(ctx);
  const next = s.queue.then(fn, fn);
  s.queue = next.catch(() => undefined);
  return next;
}

async function scalar(conn: DuckDBConnection, sql: string): Promise<number> {
  const r = await conn.runAndReadAll(sql);
  return Number((r.getRowsJson()[0] ?? [0])[0] ?? 0);
}

async function samples(conn: DuckDBConnection, sql: string, type: PropertyType): Promise<unknown[]> {
  const r = await conn.runAndReadAll(sql);
  return (r.getRowsJson() as unknown[][]).map((row) => apiValue(row[0], type));
}

/** Describe what the steps would do to the stored data. Runs reads only (inside the caller's transaction when applying). */
async function describeSteps(
  conn: DuckDBConnection,
  steps: PlannedStep[],
  columns: Set<string>,
): Promise<{ users: number; changes: ModelChange[]; blocked: ModelPreview['blocked'] }> {
  const T = USERS_TABLE;
  const users = await scalar(conn, `SELECT count(*) FROM ${T}`);
  const changes: ModelChange[] = [];
  let blocked: ModelPreview['blocked'] = null;
  const dropped = new Set(steps.filter((s) => s.kind === 'drop').map((s) => (s as { property: string }).property));
  const renamedFrom = new Set(steps.filter((s) => s.kind === 'rename').map((s) => (s as { from: string }).from));
  for (const s of steps) {
    switch (s.kind) {
      case 'add': {
        // A column left over in the table (not in the model) would make ADD COLUMN fail: say so up front.
        if (columns.has(s.property) && !dropped.has(s.property) && !renamedFrom.has(s.property) && !blocked) {
          blocked = {
            message: `The users table already has a column "${s.property}" that is not in the model (left from an earlier change). Pick another name, or drop the column with SQL outside the app.`,
            field: 'properties',
          };
        }
        changes.push({ kind: 'add', property: s.property, type: s.type, column: `${s.property} ${duckType(s.type)}` });
        break;
      }
      case 'drop': {
        const c = q(s.property);
        const valuesLost = columns.has(s.property) ? await scalar(conn, `SELECT count(${c}) FROM ${T}`) : 0;
        const sample = valuesLost ? await samples(conn, `SELECT DISTINCT ${c} FROM ${T} WHERE ${c} IS NOT NULL LIMIT 5`, s.type) : [];
        changes.push({ kind: 'drop', property: s.property, type: s.type, valuesLost, samples: sample });
        break;
      }
      case 'rename':
        changes.push({ kind: 'rename', from: s.from, to: s.to });
        break;
      case 'type': {
        const c = q(s.column);
        const values = columns.has(s.column) ? await scalar(conn, `SELECT count(${c}) FROM ${T}`) : 0;
        let failing = 0;
        let sample: unknown[] = [];
        if (values) {
          const bad = `${c} IS NOT NULL AND (${convertExpr(c, s.from, s.to)}) IS NULL`;
          try {
            failing = await scalar(conn, `SELECT count(*) FROM ${T} WHERE ${bad}`);
            if (failing) sample = await samples(conn, `SELECT DISTINCT ${c} FROM ${T} WHERE ${bad} LIMIT ${SAMPLES}`, s.from);
          } catch {
            // DuckDB has no cast between these types at all: nothing converts.
            failing = values;
            sample = await samples(conn, `SELECT DISTINCT ${c} FROM ${T} WHERE ${c} IS NOT NULL LIMIT ${SAMPLES}`, s.from);
          }
        }
        changes.push({ kind: 'type', property: s.property, from: s.from, to: s.to, values, failing, samples: sample });
        if (failing && !blocked) {
          const shown = sample.slice(0, 5).map((v) => JSON.stringify(v)).join(', ');
          blocked = {
            message: `Cannot change "${s.property}" from ${s.from} to ${s.to}: ${failing.toLocaleString('en-US')} of ${values.toLocaleString('en-US')} stored values do not convert (e.g. ${shown}). Fix or clear those values first, or keep the type.`,
            field: `properties.${s.index}.type`,
          };
        }
        break;
      }
      case 'describe':
        changes.push({ kind: 'describe', property: s.property });
        break;
    }
  }
  return { users, changes, blocked };
}

function prepare(ctx: CoreContext, input: readonly ModelPropertyInput[]) {
  const current = currentModel(ctx);
  const next = validateProperties(input, current.properties);
  const steps = planChanges(current.properties, next);
  return { current, next, steps, sql: planSql(steps) };
}

export async function previewModel(ctx: CoreContext, input: readonly ModelPropertyInput[]): Promise<ModelPreview> {
  const { steps, sql } = prepare(ctx, input);
  const conn = await connection(ctx);
  const columns = new Set((await tableColumns(conn, USERS_TABLE))?.map((c) => c.name));
  const { users, changes, blocked } = await describeSteps(conn, steps, columns);
  return { users, changes, needsConfirm: steps.some((s) => s.kind === 'drop'), blocked, sql };
}

async function writeRecord(conn: DuckDBConnection, model: CustomerModel) {
  await conn.run(`INSERT OR REPLACE INTO app_meta (key, value) VALUES ($1, $2)`, [USERS_MODEL_KEY, JSON.stringify(model)]);
}

async function readRecord(conn: DuckDBConnection): Promise<CustomerModel | null> {
  const r = await conn.runAndReadAll(`SELECT value FROM app_meta WHERE key = $1`, [USERS_MODEL_KEY]);
  const v = r.getRowsJson()[0]?.[0];
  if (typeof v !== 'string') return null;
  try {
    return normalizeModel(JSON.parse(v));
  } catch {
    return null;
  }
}

/**
 * Apply a model change: validate, then in ONE DuckDB transaction re-check the stored values,
 * run the DDL and record the new model; only after COMMIT save workspace.json.
 */
export function updateModel(ctx: CoreContext, input: readonly ModelPropertyInput[], confirm = false): Promise<{ model: CustomerModel; applied: ModelChange[] }> {
  return serialized(ctx, async () => {
    const { current, next, steps, sql } = prepare(ctx, input);
    const model: CustomerModel = { properties: stripInputFields(next), revision: current.revision + 1 };
    const conn = await connection(ctx);
    let changes: ModelChange[];
    await conn.run('BEGIN TRANSACTION');
    try {
      const columns = new Set((await tableColumns(conn, USERS_TABLE))?.map((c) => c.name));
      const described = await describeSteps(conn, steps, columns);
      changes = described.changes;
      if (described.blocked) throw badRequest(described.blocked.message, described.blocked.field);
      const drops = changes.filter((c): c is Extract<ModelChange, { kind: 'drop' }> => c.kind === 'drop');
      if (drops.length && !confirm) {
        const lost = drops.map((d) => `"${d.property}" (${d.valuesLost.toLocaleString('en-US')} values)`).join(', ');
        throw new ApiError('conflict', `Removing ${lost} deletes those values from the users table. Preview the change and confirm it (confirm: true).`, 'confirm');
      }
      for (let i = 0; i < sql.length; i++) {
        await conn.run(sql[i]);
        await migrationTestHooks.afterStatement?.(i, sql[i]);
      }
      await writeRecord(conn, model);
      await conn.run('COMMIT');
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined);
      if (err instanceof ApiError) throw err;
      const msg = (err as Error).message;
      if (/conflict/i.test(msg)) throw new ApiError('conflict', `The users table was being written at the same time; nothing changed. Try again. (${msg})`);
      throw new ApiError('internal', `The users table migration failed and was rolled back; nothing changed. (${msg})`);
    }
    const s = state(ctx);
    s.override = model;
    try {
      await ctx.store.update((d) => {
        d.model = model as unknown as typeof d.model;
      });
      s.override = null;
    } catch (err) {
      ctx.live.publish('model.changed', { revision: model.revision, at: new Date().toISOString() });
      throw new ApiError(
        'internal',
        `The users table was migrated, but workspace.json could not be saved (${(err as Error).message}). The app keeps the new model and writes it back to workspace.json at the next start.`,
      );
    }
    ctx.live.publish('model.changed', { revision: model.revision, at: new Date().toISOString() });
    return { model: currentModel(ctx), applied: changes };
  });
}

/**
 * At start-up: make the users table match the Customer Model, never losing data.
 * - no table: create it from the model;
 * - the warehouse recorded a newer model than workspace.json (a save failed after a
 *   committed migration): workspace.json is brought forward to it;
 * - otherwise missing columns are added and convertible type differences applied; columns
 *   that are not in the model are kept (with a warning), never dropped.
 */
export async function reconcileUsersTable(ctx: CoreContext, log: (msg: string) => void = (m) => process.stderr.write(`${m}\n`)): Promise<string[]> {
  const conn = await connection(ctx);
  const actions: string[] = [];
  const record = await readRecord(conn);
  let model = normalizeModel(ctx.store.data.model);
  if (record && record.revision > model.revision) {
    await ctx.store.update((d) => {
      d.model = record as unknown as typeof d.model;
    });
    model = record;
    actions.push(`workspace model brought forward to revision ${record.revision} from the warehouse`);
    log(`Customer Model: workspace.json was behind the warehouse (revision ${record.revision}); re-synced from the warehouse.`);
  }
  try {
    validateProperties(model.properties, model.properties);
  } catch (err) {
    const field = (err as ApiError).field;
    throw new Error(`The Customer Model in workspace.json is not valid${field ? ` (${field})` : ''}: ${(err as Error).message}. Fix the file; it was left untouched.`);
  }
  await conn.run('BEGIN TRANSACTION');
  try {
    const cols = await tableColumns(conn, USERS_TABLE);
    if (cols === null) {
      await conn.run(createUsersSql(model.properties));
      actions.push('created users');
    } else {
      const have = new Map(cols.map((c) => [c.name, c.type]));
      for (const p of model.properties) {
        const t = have.get(p.name);
        if (t === undefined) {
          await conn.run(`ALTER TABLE ${USERS_TABLE} ADD COLUMN ${q(p.name)} ${duckType(p.type)}`);
          actions.push(`added ${p.name}`);
        } else if (t !== duckType(p.type)) {
          const from = propertyTypeOf(t);
          const c = q(p.name);
          const failing = from
            ? await scalar(conn, `SELECT count(*) FROM ${USERS_TABLE} WHERE ${c} IS NOT NULL AND (${convertExpr(c, from, p.type)}) IS NULL`).catch(() => -1)
            : -1;
          if (from && failing === 0) {
            await conn.run(`ALTER TABLE ${USERS_TABLE} ALTER COLUMN ${c} SET DATA TYPE ${duckType(p.type)} USING ${convertExpr(c, from, p.type)}`);
            actions.push(`retyped ${p.name}`);
          } else {
            log(`Customer Model: users.${p.name} is ${t} in the warehouse but ${p.type} in the model, and its values do not all convert; the column was left as it is.`);
          }
        }
      }
      const known = new Set(model.properties.map((p) => p.name));
      for (const c of cols) {
        if (!c.name.startsWith('_') && !known.has(c.name)) log(`Customer Model: users.${c.name} is not in the model; it was kept (nothing is dropped at start-up).`);
      }
    }
    if (!record || record.revision !== model.revision || JSON.stringify(record.properties) !== JSON.stringify(model.properties)) {
      await writeRecord(conn, model);
    }
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw new Error(`Cannot prepare the users table: ${(err as Error).message}`);
  }
  return actions;
}
