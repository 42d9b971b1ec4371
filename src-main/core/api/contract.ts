import type { z } from 'zod';
import type { MethodDef } from './define';
import { workspaceMethods } from './workspace';
import { warehouseMethods } from './warehouse';
import { modelMethods } from './model';
import { usersMethods } from './users';
import { sourcesMethods } from './sources';
import { pipelinesMethods } from './pipelines';
import { eventsMethods } from './events';
import { identityMethods } from './identity';

/** THE contract: every API method, declared once. Add a domain by spreading its methods here. */
export const contract = {
  ...workspaceMethods,
  ...warehouseMethods,
  ...modelMethods,
  ...usersMethods,
  ...sourcesMethods,
  ...eventsMethods,
  ...pipelinesMethods,
  ...identityMethods,
} satisfies Record<string, MethodDef>;

export type Contract = typeof contract;
export type MethodName = keyof Contract;
export type ArgsOf<M extends MethodName> = z.input<Contract[M]['args']>;
export type ParsedArgsOf<M extends MethodName> = z.output<Contract[M]['args']>;
export type ResultOf<M extends MethodName> = NonNullable<Contract[M]['result']>;

export type Handlers = {
  [M in MethodName]: (args: ParsedArgsOf<M>) => Promise<ResultOf<M>> | ResultOf<M>;
};

export const methodNames = Object.keys(contract) as MethodName[];
export const isMethodName = (name: string): name is MethodName => Object.prototype.hasOwnProperty.call(contract, name);
