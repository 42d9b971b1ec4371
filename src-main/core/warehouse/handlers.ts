import type { Handlers } from '../api/contract';
import type { CoreContext } from '../context';
import { runReadOnlyQuery } from './query';

export function warehouseHandlers(ctx: CoreContext): Pick<Handlers, 'warehouse.query'> {
  return {
    'warehouse.query': ({ sql, maxRows }) => runReadOnlyQuery(ctx.warehouse.instance, sql, { maxRows }),
  };
}
