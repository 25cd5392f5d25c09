import type { ServerResponse } from 'node:http';

/** Nothing is loaded from another origin: Berth works air-gapped, and a CDN could not inject code. */
export function setSecurityHeaders(res: ServerResponse, opts: { dev: boolean; tls: boolean }): void {
  const script = opts.dev ? "'self' 'unsafe-inline' 'unsafe-eval'" : "'self' 'unsafe-inline'";
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'self'; script-src ${script}; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'`,
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
  if (opts.tls) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
}
