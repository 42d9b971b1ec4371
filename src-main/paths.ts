import { homedir } from 'node:os';
import { join } from 'node:path';

export const PRODUCT_NAME = 'Krenalis Desktop';

/** The platform's app-data folder, the same one Electron's app.getPath('userData') uses. */
export function defaultDataDir(env = process.env, platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', PRODUCT_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), PRODUCT_NAME);
}
