export { sourcesHandlers } from './handlers';
export { createWriteKeyResolver, writeKeyResolver, generateWriteKey, type ResolveWriteKey } from './keys';
