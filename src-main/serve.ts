// Headless entry: the same core as the desktop app, with the admin API and the
// renderer served on 127.0.0.1 behind a token. Prints one JSON "ready" line.
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore, type Core } from './core/app';
import { startAdminServer, type AdminServer } from './core/admin/server';
import { generateToken } from './core/admin/token';
import { parseServeArgs } from './serve-args';
import { registerExportRoutes } from './core/users/export';

async function adminTokenFor(dataDir: string, given?: string): Promise<string> {
  if (given) return given;
  const file = join(dataDir, 'admin-token');
  const existing = await readFile(file, 'utf8').catch(() => '');
  if (existing.trim()) return existing.trim();
  const token = generateToken();
  await writeFile(file, token, { mode: 0o600 });
  return token;
}

async function main() {
  const parsed = parseServeArgs(process.argv.slice(2));
  if ('help' in parsed) {
    console.log(parsed.help);
    return;
  }
  const dataDir = resolve(parsed.dataDir);
  let core: Core | null = null;
  let admin: AdminServer | null = null;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`Received ${signal}: shutting down\n`);
    await admin?.close().catch(() => undefined);
    await core?.stop().catch((err: Error) => process.stderr.write(`${err.message}\n`));
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  core = await createCore({ dataDir, ingestHost: parsed.ingestHost, ingestPort: parsed.ingestPort });
  await core.start();
  const token = await adminTokenFor(dataDir, parsed.adminToken);
  admin = await startAdminServer({
    dispatcher: core.dispatcher,
    live: core.live,
    token,
    port: parsed.adminPort,
    rendererDir: fileURLToPath(new URL('../renderer', import.meta.url)),
    // One-time download links of users exports (users.export).
    extend: (app) => registerExportRoutes(app, core!.ctx),
  });
  const info = (await core.dispatcher.call('workspace.info', {})) as { ingestUrl: string | null; ingestError: string | null };
  if (info.ingestError) process.stderr.write(`Warning: ${info.ingestError}\n`);
  process.stdout.write(
    `${JSON.stringify({ ready: true, ingestUrl: info.ingestUrl, adminUrl: admin.url, adminToken: token, openUrl: `${admin.url}/#token=${token}`, dataDir })}\n`,
  );
}

main().catch((err: Error) => {
  process.stderr.write(`krenalis: ${err.message}\n`);
  process.exit(1);
});
