import type { ModelProperty, PropertyType } from '../api/model';
import { convertExpr, duckType, q, USERS_TABLE } from './sql';

export type PlannedStep =
  | { kind: 'add'; property: string; type: PropertyType }
  | { kind: 'drop'; property: string; type: PropertyType }
  | { kind: 'rename'; from: string; to: string }
  | { kind: 'type'; property: string; column: string; from: PropertyType; to: PropertyType; index: number }
  | { kind: 'describe'; property: string };

/**
 * Compare the current model with the next one. A property keeps its identity by name, or
 * through `previousName` (a rename); current properties nobody claims are dropped.
 */
export function planChanges(current: readonly ModelProperty[], next: readonly (ModelProperty & { previousName?: string })[]): PlannedStep[] {
  const byName = new Map(current.map((p) => [p.name, p]));
  const claimed = new Set(next.filter((p) => p.previousName).map((p) => p.previousName!));
  const kept = new Set<string>();
  const steps: PlannedStep[] = [];
  const renames: PlannedStep[] = [];
  const types: PlannedStep[] = [];
  const adds: PlannedStep[] = [];
  const describes: PlannedStep[] = [];
  next.forEach((p, index) => {
    // `column` of a type step is the column's name before renames (previews run before them).
    const fromName = p.previousName ?? (byName.has(p.name) && !claimed.has(p.name) ? p.name : undefined);
    const old = fromName ? byName.get(fromName) : undefined;
    if (!old) {
      adds.push({ kind: 'add', property: p.name, type: p.type });
      return;
    }
    kept.add(old.name);
    if (old.name !== p.name) renames.push({ kind: 'rename', from: old.name, to: p.name });
    if (old.type !== p.type) types.push({ kind: 'type', property: p.name, column: old.name, from: old.type, to: p.type, index });
    if ((old.description ?? '') !== (p.description ?? '') || !!old.identifier !== !!p.identifier) describes.push({ kind: 'describe', property: p.name });
  });
  for (const p of current) if (!kept.has(p.name)) steps.push({ kind: 'drop', property: p.name, type: p.type });
  return [...steps, ...renames, ...types, ...adds, ...describes];
}

/** The DDL for the planned steps, in the order it runs (inside one transaction). */
export function planSql(steps: readonly PlannedStep[]): string[] {
  const sql: string[] = [];
  const T = USERS_TABLE;
  for (const s of steps) if (s.kind === 'drop') sql.push(`ALTER TABLE ${T} DROP COLUMN ${q(s.property)}`);
  // Renames go through temporary names so that swaps (a<->b) and chains work.
  const renames = steps.filter((s): s is Extract<PlannedStep, { kind: 'rename' }> => s.kind === 'rename');
  renames.forEach((s, i) => sql.push(`ALTER TABLE ${T} RENAME COLUMN ${q(s.from)} TO ${q(`__krenalis_rename_${i}`)}`));
  renames.forEach((s, i) => sql.push(`ALTER TABLE ${T} RENAME COLUMN ${q(`__krenalis_rename_${i}`)} TO ${q(s.to)}`));
  for (const s of steps) {
    if (s.kind === 'type') {
      sql.push(`ALTER TABLE ${T} ALTER COLUMN ${q(s.property)} SET DATA TYPE ${duckType(s.to)} USING ${convertExpr(q(s.property), s.from, s.to)}`);
    }
  }
  for (const s of steps) if (s.kind === 'add') sql.push(`ALTER TABLE ${T} ADD COLUMN ${q(s.property)} ${duckType(s.type)}`);
  return sql;
}
