import { methodNames, type ArgsOf, type MethodName, type ResultOf } from './contract';
import type { PushListener } from './push';

/** What a transport must provide; IPC (preload) and HTTP+WebSocket both do. */
export interface Transport {
  call(method: string, args: unknown): Promise<unknown>;
  subscribe(listener: PushListener): () => void;
}

type Namespace<M extends string> = M extends `${infer NS}.${string}` ? NS : never;
type Fn<M extends MethodName> = (
  ...args: Record<string, never> extends ArgsOf<M> ? [args?: ArgsOf<M>] : [args: ArgsOf<M>]
) => Promise<ResultOf<M>>;

export type Client = {
  [NS in Namespace<MethodName>]: {
    [M in MethodName as M extends `${NS}.${infer Name}` ? Name : never]: Fn<M>;
  };
} & { subscribe: Transport['subscribe'] };

/** A typed client (`api.settings.update({...})`) derived from the contract's method names. */
export function createClient(transport: Transport): Client {
  const client: Record<string, Record<string, unknown>> = {};
  for (const name of methodNames) {
    const [ns, fn] = name.split('.') as [string, string];
    (client[ns] ??= {})[fn] = (args?: unknown) => transport.call(name, args ?? {});
  }
  return Object.assign(client, { subscribe: transport.subscribe }) as unknown as Client;
}
