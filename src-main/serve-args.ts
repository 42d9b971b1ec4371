import { parseArgs } from 'node:util';
import { defaultDataDir } from './paths';

export interface ServeOptions {
  dataDir: string;
  ingestHost?: string;
  ingestPort?: number;
  adminPort: number;
  adminToken?: string;
}

const USAGE = `Usage: npm run serve -- [--data-dir DIR] [--ingest-host HOST] [--ingest-port PORT] [--admin-port PORT] [--admin-token TOKEN]
  Environment: KRENALIS_DATA_DIR, KRENALIS_INGEST_HOST, KRENALIS_INGEST_PORT, KRENALIS_ADMIN_PORT, KRENALIS_ADMIN_TOKEN
  A port of 0 means any free port.`;

function port(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new Error(`--${name} must be a port number from 0 to 65535, got "${value}"\n${USAGE}`);
  return n;
}

/** Flags win over environment variables, which win over defaults. */
export function parseServeArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ServeOptions | { help: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        'ingest-host': { type: 'string' },
        'ingest-port': { type: 'string' },
        'admin-port': { type: 'string' },
        'admin-token': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) return { help: USAGE };
  const token = values['admin-token'] ?? env.KRENALIS_ADMIN_TOKEN;
  if (token !== undefined && !/^[A-Za-z0-9._~+/=-]{16,256}$/.test(token)) {
    throw new Error('--admin-token must be 16 to 256 characters of letters, digits or ._~+/=-');
  }
  return {
    dataDir: values['data-dir'] ?? env.KRENALIS_DATA_DIR ?? defaultDataDir(env),
    ingestHost: values['ingest-host'] ?? env.KRENALIS_INGEST_HOST,
    ingestPort: port('ingest-port', values['ingest-port'] ?? env.KRENALIS_INGEST_PORT),
    adminPort: port('admin-port', values['admin-port'] ?? env.KRENALIS_ADMIN_PORT) ?? 0,
    adminToken: token,
  };
}
