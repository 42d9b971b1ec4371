import type { Settings } from '../api/workspace';

export const DEFAULT_SETTINGS: Settings = {
  // All interfaces: Segment must be able to reach the ingest port.
  ingestHost: '0.0.0.0',
  ingestPort: 8080,
  publicUrl: '',
  limits: {
    maxRequestBytes: 4 * 1024 * 1024,
    maxEventBytes: 32 * 1024,
    maxEventsPerRequest: 5000,
  },
};

export type ModelProperty = {
  name: string;
  type: 'string' | 'boolean' | 'int' | 'float' | 'decimal' | 'datetime' | 'date' | 'json' | 'array';
  description?: string;
  identifier?: boolean;
};

export const DEFAULT_MODEL: { properties: ModelProperty[] } = {
  properties: [
    { name: 'email', type: 'string', description: 'Primary email address', identifier: true },
    { name: 'first_name', type: 'string', description: 'Given name' },
    { name: 'last_name', type: 'string', description: 'Family name' },
    { name: 'phone', type: 'string', description: 'Phone number (E.164 when known)' },
    { name: 'company', type: 'string', description: 'Company or organization' },
    { name: 'job_title', type: 'string', description: 'Job title' },
    { name: 'plan', type: 'string', description: 'Subscription plan' },
    { name: 'country', type: 'string', description: 'Country' },
    { name: 'city', type: 'string', description: 'City' },
    { name: 'created_at', type: 'datetime', description: 'When the user signed up' },
  ],
};
