/** Python transformations run in Pyodide inside a worker thread, with host access removed. */
export {
  createPythonTransformer,
  resolvePyodideDir,
  PYTHON_DEFAULTS,
  type PythonTransformer,
  type PythonTransformerOptions,
} from './transformer';
export { checkPythonSource, disposePythonChecker } from './check';
