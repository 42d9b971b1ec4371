// The renderer's Content-Security-Policy, shared by the admin server (header)
// and Electron (protocol handler). 'self' also covers ws:// to the same host.
// Monaco injects <style> elements, hence 'unsafe-inline' for styles only.
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
