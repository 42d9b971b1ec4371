import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadApi } from '../ipc';

// The renderer gets this one object and nothing else of Node or Electron.
contextBridge.exposeInMainWorld('krenalis', createPreloadApi(ipcRenderer));
