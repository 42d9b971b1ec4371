/** JavaScript transformations run in QuickJS (quickjs-emscripten) inside a worker thread. */
export { createJsTransformer, JS_DEFAULTS, type JsTransformer, type JsTransformerOptions } from './transformer';
export { checkJsSource, disposeJsChecker } from './check';
