/**
 * Resolves installed packages (quickjs-emscripten, pyodide) from this module's location. Works from
 * the TypeScript sources (vitest) and from the electron-vite bundle, where both stay external in
 * node_modules; falls back to the working directory when `import.meta.url` is unavailable (a CommonJS bundle).
 */
import { createRequire } from 'node:module';
import path from 'node:path';

export function resolvePackage(name: string): string {
  let base: string | undefined;
  try {
    base = import.meta.url;
  } catch {
    base = undefined;
  }
  return createRequire(base || path.join(process.cwd(), 'package.json')).resolve(name);
}
