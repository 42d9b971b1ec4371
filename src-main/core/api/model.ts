import { z } from 'zod';
import { method } from './define';

/** The Customer Model property types and the DuckDB column type each becomes in `users`. */
export const PROPERTY_TYPES = ['string', 'boolean', 'int', 'float', 'decimal', 'datetime', 'date', 'json', 'array'] as const;
export type PropertyType = (typeof PROPERTY_TYPES)[number];

export const DUCKDB_TYPES: Record<PropertyType, string> = {
  string: 'VARCHAR',
  boolean: 'BOOLEAN',
  int: 'BIGINT',
  float: 'DOUBLE',
  decimal: 'DECIMAL(38,9)',
  datetime: 'TIMESTAMPTZ',
  date: 'DATE',
  json: 'JSON',
  array: 'VARCHAR[]',
};

/** Types an identifier property may have (their values are compared for identity resolution). */
export const IDENTIFIER_TYPES: readonly PropertyType[] = ['string', 'int'];

export interface ModelProperty {
  name: string;
  type: PropertyType;
  description?: string;
  /** Joins identities into one user; priority is the order of identifier properties in `properties`. */
  identifier?: boolean;
}

export interface CustomerModel {
  properties: ModelProperty[];
  /** Increases with every applied change; the warehouse records the revision its `users` table matches. */
  revision: number;
}

// Loose on purpose: every rule (snake_case, reserved names, duplicates, types) is checked by
// core/model/validate.ts, which names the offending field (`properties.3.name`) in a clear message.
const propertyInput = z
  .object({
    name: z.string().max(200),
    type: z.string().max(50),
    description: z.string().max(1000).optional(),
    identifier: z.boolean().optional(),
    /** The property's name before this change: a rename keeps its values. */
    previousName: z.string().max(200).optional(),
  })
  .strict();
export type ModelPropertyInput = z.input<typeof propertyInput>;

const modelInput = z.object({ properties: z.array(propertyInput).max(500, 'At most 500 properties') }).strict();

/** One column change of the `users` table, as previewed and as applied. */
export type ModelChange =
  | { kind: 'add'; property: string; type: PropertyType; column: string }
  | {
      kind: 'drop';
      property: string;
      type: PropertyType;
      /** Non-null values that dropping the column deletes. */
      valuesLost: number;
      samples: unknown[];
    }
  | { kind: 'rename'; from: string; to: string }
  | {
      kind: 'type';
      property: string;
      from: PropertyType;
      to: PropertyType;
      /** Non-null values stored in the column. */
      values: number;
      /** Values that do not convert to the new type (the change is refused when > 0). */
      failing: number;
      /** Some of the values that do not convert, as stored. */
      samples: unknown[];
    }
  | { kind: 'describe'; property: string };

export interface ModelPreview {
  /** Users in the warehouse now. */
  users: number;
  changes: ModelChange[];
  /** True when the change deletes stored values (dropped columns): model.update needs confirm: true. */
  needsConfirm: boolean;
  /** Set when the change cannot be applied (values that do not convert), with the field to fix. */
  blocked: { message: string; field: string } | null;
  /** The DDL that would run, in one transaction. */
  sql: string[];
}

export const modelMethods = {
  'model.get': method<CustomerModel>()(z.object({}).strict(), 'The Customer Model: properties (name, type, description, identifier) in order.'),
  'model.preview': method<ModelPreview>()(
    modelInput,
    'What a model.update with these properties would do to the users table: added, dropped, renamed and retyped columns, values lost and values that do not convert. Changes nothing.',
  ),
  'model.update': method<{ model: CustomerModel; applied: ModelChange[] }>()(
    modelInput.extend({ confirm: z.boolean().optional() }).strict(),
    'Replace the Customer Model and migrate the users table in one transaction. Dropping a property with values needs confirm: true; a type change whose values do not all convert is refused.',
  ),
};
