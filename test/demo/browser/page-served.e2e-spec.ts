/**
 * How the chat page is served, over plain HTTP (no browser needed): `/` is the page, its scripts
 * and styles are files of our origin (no inline script or style, nothing from elsewhere), under a
 * stricter Content-Security-Policy than `/docs` gets (styles from our origin only, Trusted Types
 * required); the API's routes still answer as before around it.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { asText } from '../../support/sse';
import { type DemoFixture, cspDirectives, startDemo } from '../demo.fixture';

const ROOT = join(__dirname, '..', '..', '..');
let fixture: DemoFixture;

beforeAll(async () => {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.cjs')], { stdio: 'pipe' });
  fixture = await startDemo('demo_page_served');
});

afterAll(async () => {
  await fixture.close();
});

it('/ is the page: its scripts and styles are files of our origin, nothing inline or external', async () => {
  const page = await fixture.demo.http().get('/');
  expect([page.status, page.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
  expect(page.headers['cache-control']).toBe('no-cache');
  expect(page.text).not.toMatch(/https?:\/\//);
  expect(page.text).not.toMatch(/<style|style=|\son[a-z]+=/i);
  const scripts = [...page.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  expect(scripts.map(([, attributes, body]) => [attributes.trim(), body])).toEqual([
    ['type="module" src="/js/main.js"', ''],
  ]);
  const linked = [...page.text.matchAll(/<link\b[^>]*href="([^"]+)"/g)].map(([, href]) => href);
  expect(linked.sort()).toEqual(['/app.css', '/favicon.svg']);
  for (const [path, type] of [
    ['/js/main.js', /javascript/],
    ['/js/api.js', /javascript/],
    ['/app.css', /text\/css/],
    ['/favicon.svg', /image\/svg\+xml/],
  ] as const) {
    const asset = await asText(fixture.demo.http().get(path));
    expect([path, asset.status, asset.headers['content-type']]).toEqual([
      path,
      200,
      expect.stringMatching(type),
    ]);
    expect(asset.body as string).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  }
  // The modules load one another by relative path only.
  const main = await fixture.demo.http().get('/js/main.js');
  expect(
    [...main.text.matchAll(/from '([^']+)'/g)].every(([, from]) => from.startsWith('./')),
  ).toBe(true);
});

it('the page is under a stricter policy than /docs: styles from our origin only, Trusted Types', async () => {
  const page = cspDirectives(await fixture.demo.http().get('/'));
  expect(page.get('script-src')).toEqual(["'self'"]);
  expect(page.get('style-src')).toEqual(["'self'"]);
  expect(page.get('font-src')).toEqual(["'self'"]);
  expect(page.get('connect-src') ?? page.get('default-src')).toEqual(["'self'"]);
  expect(page.get('require-trusted-types-for')).toEqual(["'script'"]);
  // The API's answers carry the strict one too; only the docs get what Swagger UI needs.
  const api = cspDirectives(await fixture.demo.http().get('/threads'));
  expect(api.get('style-src')).toEqual(["'self'"]);
  for (const path of ['/docs', '/docs/swagger-ui.css', '/docs-json']) {
    const docs = cspDirectives(await fixture.demo.http().get(path));
    expect([path, docs.get('style-src'), docs.has('require-trusted-types-for')]).toEqual([
      path,
      ["'self'", "'unsafe-inline'"],
      false,
    ]);
  }
});

it('around the page, the API answers as before: a 404 for what is neither a file nor a route', async () => {
  const missing = await fixture.demo.http().get('/no-such-file.js');
  expect([missing.status, missing.body.error]).toEqual([404, 'Not Found']);
  expect((await fixture.demo.http().get('/health/live')).body).toEqual({ status: 'ok' });
  expect((await fixture.demo.http().get('/threads')).status).toBe(401);
});
