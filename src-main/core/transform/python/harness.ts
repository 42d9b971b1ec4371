/**
 * The Python side of the sandbox, evaluated once in the worker after Pyodide starts.
 * It defines _load(source), _run(event_json), _check(source) and _lockdown(); each
 * returns a string so that no proxy crosses to JavaScript:
 *   _run  -> 'O' + '{"logs":[...],"output":{...}}'  |  'E' + '{"code","message","line","logs"}'
 *            |  'I' + '{"logs":[...]}' (interrupted: the host decides whether it was the time limit)
 *   _load -> '' (ready) or 'E' + '{...}' / 'I'
 *   _check-> JSON list of {message, line?, column?}
 *
 * _lockdown() is the Python-level layer of host isolation: imports of the JavaScript bridge
 * (js, pyodide_js, pyodide, _pyodide*), of sockets, subprocesses, ctypes and gc fail with
 * ImportError; process functions of os are removed; os.environ is cleaned. It is not the only
 * layer: Python cannot be sandboxed from inside itself, so the worker also removes host access
 * at the JavaScript level (see worker-source.ts).
 */
export const PYTHON_HARNESS = String.raw`
import builtins as _builtins
import json as _json
import sys as _sys
import traceback as _traceback
import ast as _ast
import os as _os

_MAX_LOG_ENTRIES = __MAX_LOG_ENTRIES__
_MAX_LOG_CHARS = __MAX_LOG_CHARS__
_MAX_OUTPUT_BYTES = __MAX_OUTPUT_BYTES__
_FILENAME = '<transform>'

_BLOCKED_TOP = frozenset({
    'js', 'pyodide_js', 'pyodide', '_pyodide', '_pyodide_core', 'micropip', 'pyodide_http',
    'ctypes', '_ctypes', 'socket', '_socket', 'ssl', '_ssl', 'select', 'selectors',
    'subprocess', '_posixsubprocess', 'multiprocessing', '_multiprocessing', 'asyncio', '_asyncio',
    'webbrowser', 'gc', 'mmap', 'faulthandler', '_remote_debugging',
    '_testcapi', '_testinternalcapi', '_testlimitedcapi', '_testbuffer', '_testclinic',
    '_testclinic_limited', '_testmultiphase', '_xxtestfuzz', 'xxsubtype',
})
_BLOCKED_FULL = frozenset({
    'urllib.request', 'http.client', 'http.server', 'http.cookiejar', 'ftplib', 'smtplib', 'poplib',
    'imaplib', 'xmlrpc.client', 'xmlrpc.server', 'socketserver', 'wsgiref.simple_server',
})


def _blocked(name):
    top = name.partition('.')[0]
    if top in _BLOCKED_TOP:
        return True
    return any(name == b or name.startswith(b + '.') for b in _BLOCKED_FULL)


class _ImportBlocker:
    """First on sys.meta_path: refuses the modules that could reach the host."""

    def find_spec(self, name, path=None, target=None):
        if _blocked(name):
            raise ImportError(
                "import of '%s' is not allowed in a transformation (no access to the host, the network or processes)" % name,
                name=name,
            )
        return None


def _denied(what):
    def denied(*args, **kwargs):
        raise PermissionError('%s is not allowed in a transformation' % what)
    denied.__name__ = what.rpartition('.')[2]
    return denied


def _lockdown():
    for name in list(_sys.modules):
        if _blocked(name):
            del _sys.modules[name]
    _sys.meta_path[:] = [f for f in _sys.meta_path if type(f).__name__ not in ('JsFinder',)]
    _sys.meta_path.insert(0, _ImportBlocker())
    import posix as _posix
    for name in ('system', 'popen', 'fork', 'forkpty', 'execv', 'execve', 'execl', 'execle', 'execlp',
                 'execlpe', 'execvp', 'execvpe', 'spawnv', 'spawnve', 'spawnl', 'spawnle', 'spawnlp',
                 'spawnlpe', 'spawnvp', 'spawnvpe', 'posix_spawn', 'posix_spawnp', 'kill', 'killpg'):
        for mod in (_os, _posix):
            if hasattr(mod, name):
                setattr(mod, name, _denied('os.' + name))
    for key in list(_os.environ):
        if key not in ('HOME', 'LANG', 'PATH', 'PWD', 'USER', 'LOGNAME'):
            del _os.environ[key]
    _sys.setrecursionlimit(800)


class _Capture:
    """A bounded sys.stdout / sys.stderr: complete lines become log entries."""

    def __init__(self, sink, level):
        self._sink = sink
        self._level = level
        self._pending = ''

    def write(self, text):
        if not isinstance(text, str):
            text = str(text)
        self._pending += text
        if len(self._pending) > _MAX_LOG_CHARS * 4 and '\n' not in self._pending:
            self._pending = self._pending[: _MAX_LOG_CHARS + 1]
        while '\n' in self._pending:
            line, _, self._pending = self._pending.partition('\n')
            self._sink.add(self._level, line)
        return len(text)

    def flush(self):
        if self._pending:
            self._sink.add(self._level, self._pending)
            self._pending = ''

    def isatty(self):
        return False

    @property
    def encoding(self):
        return 'utf-8'


class _Logs:
    def __init__(self):
        self.entries = []
        self.dropped = 0

    def add(self, level, message):
        if len(self.entries) >= _MAX_LOG_ENTRIES:
            self.dropped += 1
            return
        if len(message) > _MAX_LOG_CHARS:
            message = message[:_MAX_LOG_CHARS] + '… (%d more characters)' % (len(message) - _MAX_LOG_CHARS)
        self.entries.append({'level': level, 'message': message})

    def take(self):
        out = self.entries
        if self.dropped:
            out.append({'level': 'warn', 'message': '%d more log line(s) dropped (limit %d)' % (self.dropped, _MAX_LOG_ENTRIES)})
        return out


class _Captured:
    def __enter__(self):
        self.logs = _Logs()
        self.saved = (_sys.stdout, _sys.stderr)
        self.out = _Capture(self.logs, 'log')
        self.err = _Capture(self.logs, 'error')
        _sys.stdout, _sys.stderr = self.out, self.err
        return self

    def __exit__(self, *exc):
        try:
            self.out.flush()
            self.err.flush()
        finally:
            _sys.stdout, _sys.stderr = self.saved
        return False


def _line_of(exc):
    line = None
    for frame in _traceback.extract_tb(exc.__traceback__):
        if frame.filename == _FILENAME:
            line = frame.lineno
    return line


def _describe(exc):
    try:
        text = str(exc)
    except BaseException:
        text = ''
    if len(text) > 1000:
        text = text[:1000] + '…'
    message = type(exc).__name__ + (': ' + text if text else '')
    line = _line_of(exc)
    return message + (' (line %d)' % line if line is not None else ''), line


def _error(code, message, line=None, logs=None, column=None):
    d = {'code': code, 'message': message, 'logs': logs or []}
    if line is not None:
        d['line'] = line
    if column is not None:
        d['column'] = column
    return 'E' + _json.dumps(d)


def _syntax_info(exc):
    message = '%s: %s' % (type(exc).__name__, exc.msg)
    if exc.lineno is not None:
        message += ' (line %d)' % exc.lineno
    return message, exc.lineno, exc.offset


_transform = None


def _load(source):
    global _transform
    _transform = None
    try:
        code = compile(source, _FILENAME, 'exec')
    except SyntaxError as e:
        message, line, column = _syntax_info(e)
        return _error('syntax', message, line, None, column)
    except (ValueError, MemoryError, RecursionError) as e:
        return _error('syntax', '%s: %s' % (type(e).__name__, e))
    namespace = {'__name__': '__transform__', '__builtins__': _builtins}
    with _Captured():
        try:
            exec(code, namespace)
        except KeyboardInterrupt:
            return 'I{}'
        except BaseException as e:
            message, line = _describe(e)
            code_ = 'memory' if isinstance(e, MemoryError) else 'init'
            return _error(code_, 'top-level code failed: ' + message, line)
    fn = namespace.get('transform')
    if fn is None:
        return _error('init', 'transform is not defined: the code must define def transform(event): ...')
    if not callable(fn):
        return _error('init', 'transform must be a function, but it is a %s' % type(fn).__name__)
    _transform = fn
    return ''


def _json_default(value):
    import datetime, decimal
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError('Object of type %s is not JSON serializable' % type(value).__name__)


def _what(value):
    if value is None:
        return 'None (did you forget return?)'
    if type(value).__name__ == 'coroutine':
        value.close()
        return 'a coroutine (async def is not supported)'
    return 'a %s' % type(value).__name__


def _run(event_json):
    if _transform is None:
        return _error('init', 'transform is not defined')
    failure = None
    with _Captured() as cap:
        try:
            result = _transform(_json.loads(event_json))
        except KeyboardInterrupt:
            failure = 'I'
        except MemoryError:
            failure = ('memory', 'MemoryError: the transformation ran out of memory', None)
        except BaseException as e:
            message, line = _describe(e)
            if isinstance(e, SystemExit):
                message = 'transform called exit() (SystemExit: %s)' % (e.code,)
            failure = ('exception', message, line)
    logs = cap.logs.take()
    if failure == 'I':
        return 'I' + _json.dumps({'logs': logs})
    if failure is not None:
        return _error(failure[0], failure[1], failure[2], logs)
    if not isinstance(result, dict):
        return _error('bad-return', 'transform must return a dict, but it returned %s' % _what(result), None, logs)
    try:
        out = _json.dumps(result, default=_json_default, allow_nan=False, ensure_ascii=False, separators=(',', ':'))
    except KeyboardInterrupt:
        return 'I' + _json.dumps({'logs': logs})
    except MemoryError:
        return _error('memory', 'MemoryError: the transformation ran out of memory', None, logs)
    except BaseException as e:
        return _error('bad-return', 'the output cannot be serialized as JSON: ' + _describe(e)[0], None, logs)
    size = len(out) if len(out) * 4 <= _MAX_OUTPUT_BYTES else len(out.encode('utf-8'))
    if size > _MAX_OUTPUT_BYTES:
        return _error('output-too-large', 'the output is too large: %d bytes serialized, the limit is %d' % (size, _MAX_OUTPUT_BYTES), None, logs)
    return 'O{"logs":' + _json.dumps(logs) + ',"output":' + out + '}'


def _defines_transform(tree):
    for node in tree.body:
        if isinstance(node, (_ast.FunctionDef, _ast.AsyncFunctionDef, _ast.ClassDef)) and node.name == 'transform':
            return True
        if isinstance(node, (_ast.Assign, _ast.AnnAssign, _ast.AugAssign)):
            targets = node.targets if isinstance(node, _ast.Assign) else [node.target]
            for t in targets:
                for n in _ast.walk(t):
                    if isinstance(n, _ast.Name) and n.id == 'transform':
                        return True
        if isinstance(node, (_ast.Import, _ast.ImportFrom)):
            if any((a.asname or a.name) == 'transform' for a in node.names):
                return True
        if isinstance(node, (_ast.If, _ast.Try, _ast.With, _ast.For, _ast.While)):
            return True  # conditional definitions: decided when the code runs
    return False


def _check(source):
    try:
        tree = compile(source, _FILENAME, 'exec', _ast.PyCF_ONLY_AST)
        compile(tree, _FILENAME, 'exec')
    except SyntaxError as e:
        message, line, column = _syntax_info(e)
        d = {'message': message}
        if line is not None:
            d['line'] = line
        if column is not None:
            d['column'] = column
        return _json.dumps([d])
    except (ValueError, MemoryError, RecursionError) as e:
        return _json.dumps([{'message': '%s: %s' % (type(e).__name__, e)}])
    if not _defines_transform(tree):
        return _json.dumps([{'message': 'transform is not defined: the code must define def transform(event): ...'}])
    return '[]'
`;

export function pythonHarness(limits: { maxLogEntries: number; maxLogChars: number; maxOutputBytes: number }): string {
  return PYTHON_HARNESS.replace('__MAX_LOG_ENTRIES__', String(limits.maxLogEntries))
    .replace('__MAX_LOG_CHARS__', String(limits.maxLogChars))
    .replace('__MAX_OUTPUT_BYTES__', String(limits.maxOutputBytes));
}
