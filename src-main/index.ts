// Electron entry: one locked-down window, the core in this process, the API over IPC.
import { app, BrowserWindow, ipcMain, net, protocol, shell, dialog } from 'electron';
import { join, normalize, sep } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { createCore, type Core } from './core/app';
import { RENDERER_CSP } from './core/admin/csp';
import { bindIpc, bindSaveExport } from './ipc';
import { saveExportTo } from './core/users/export';

const RENDERER_DIR = fileURLToPath(new URL('../renderer', import.meta.url));
const PRELOAD = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));

// A standard, secure scheme gives the renderer a real origin ('self' in the CSP) instead of file://.
protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let core: Core | null = null;
let win: BrowserWindow | null = null;

function serveRenderer() {
  protocol.handle('app', async (request) => {
    const { pathname } = new URL(request.url);
    const file = normalize(join(RENDERER_DIR, decodeURIComponent(pathname === '/' ? '/index.html' : pathname)));
    if (!file.startsWith(RENDERER_DIR + sep)) return new Response('Forbidden', { status: 403 });
    const res = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', RENDERER_CSP);
    return new Response(res.body, { status: res.status, headers });
  });
}

function createWindow() {
  win = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 960,
    minHeight: 600,
    title: 'Krenalis Desktop',
    show: false,
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win?.show());
  // Navigation away from the app and new windows are denied; web links open in the system browser.
  win.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith('app://')) event.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//i.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.on('closed', () => (win = null));
  void win.loadURL('app://renderer/index.html');
}

async function boot() {
  serveRenderer();
  try {
    core = await createCore({ dataDir: app.getPath('userData') });
    await core.start();
  } catch (err) {
    dialog.showErrorBox('Krenalis Desktop cannot start', (err as Error).message);
    app.exit(1);
    return;
  }
  bindIpc(ipcMain, core.dispatcher, core.live, () => BrowserWindow.getAllWindows().map((w) => w.webContents));
  const ctx = core.ctx;
  bindSaveExport(
    ipcMain,
    async (fileName) => {
      const r = win ? await dialog.showSaveDialog(win, { defaultPath: fileName }) : await dialog.showSaveDialog({ defaultPath: fileName });
      return r.canceled || !r.filePath ? null : r.filePath;
    },
    (id, destination) => saveExportTo(ctx, id, destination),
  );
  createWindow();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
  void app.whenReady().then(boot);
  app.on('activate', () => {
    if (core && BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // Close DuckDB cleanly before exiting: hold the quit until the core has stopped.
  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting || !core) return;
    event.preventDefault();
    quitting = true;
    void core.stop().finally(() => app.exit(0));
  });
}
