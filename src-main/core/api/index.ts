export * from './contract';
export * from './errors';
export * from './push';
export * from './define';
