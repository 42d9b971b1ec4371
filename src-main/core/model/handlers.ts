import type { Handlers } from '../api/contract';
import type { CoreContext } from '../context';
import { currentModel, previewModel, updateModel } from './migrate';

export function modelHandlers(ctx: CoreContext): Pick<Handlers, 'model.get' | 'model.preview' | 'model.update'> {
  return {
    'model.get': () => currentModel(ctx),
    'model.preview': ({ properties }) => previewModel(ctx, properties),
    'model.update': ({ properties, confirm }) => updateModel(ctx, properties, confirm),
  };
}
