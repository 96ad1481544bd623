import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';

// The stylesheet of Tenure's pages, shipped with the project (no CDN, no external fonts).

const css = readFileSync(join(import.meta.dirname, 'assets', 'tenure.css'));

export function portalAssets() {
  const app = new Hono();
  app.get('/assets/tenure.css', (c) => c.body(new Uint8Array(css), 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' }));
  return app;
}
