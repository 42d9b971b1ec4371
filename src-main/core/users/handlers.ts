import type { Handlers } from '../api/contract';
import type { CoreContext } from '../context';
import { cancelExport, exportStatus, startExport } from './export';
import { getUser, listUsers } from './list';
import { warehouseTables } from './tables';
import { warmUsersCache } from './cache';
import { currentModel } from '../model/migrate';

export function usersHandlers(
  ctx: CoreContext,
): Pick<Handlers, 'users.list' | 'users.get' | 'users.export' | 'users.exportStatus' | 'users.exportCancel' | 'warehouse.tables'> {
  // Big tables: prepare the in-memory search copy in the background after start-up.
  warmUsersCache(ctx, currentModel(ctx));
  return {
    'users.list': (args) => listUsers(ctx, args),
    'users.get': ({ id }) => getUser(ctx, id),
    'users.export': (args) => startExport(ctx, args),
    'users.exportStatus': ({ id }) => exportStatus(ctx, id),
    'users.exportCancel': ({ id }) => cancelExport(ctx, id),
    'warehouse.tables': () => warehouseTables(ctx),
  };
}
