/** Visual Mapping: expressions over the event, one per Customer Model property. */
export type { CallNode, ExpressionError, ExpressionNode, LiteralNode, ParseResult, PathNode } from './ast';
export { MAX_EXPRESSION_LENGTH, MAX_NESTING_DEPTH, MAX_PATH_SEGMENTS } from './ast';
export { parseExpression } from './parser';
export { compileExpression, evaluate, type CompiledExpression } from './evaluate';
export { inferType, checkExpressionType, type StaticType } from './typecheck';
export { compileMapping, type CompiledMapping, type CompileMappingResult, type MappingError } from './compile';
export { MAPPING_FUNCTIONS, type MappingFunctionInfo } from './functions';
export { MappingEvalError } from './values';
export { tokenize, type Token, type TokenType } from './tokenizer';
