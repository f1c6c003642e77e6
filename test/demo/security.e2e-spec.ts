/**
 * Security headers on every answer (helmet's, through `configureDemoApp`), no `X-Powered-By`,
 * and a Content-Security-Policy that Swagger UI at `/docs` works under: its scripts are files of
 * our origin, so no inline script and no `unsafe-eval` is allowed.
 */
import type { Response } from 'supertest';
import { type DemoFixture, cspDirectives, startDemo } from './demo.fixture';

let fixture: DemoFixture;

beforeAll(async () => {
  fixture = await startDemo('demo_security');
});

afterAll(async () => {
  await fixture.close();
});

const answers: [string, () => Promise<Response>][] = [
  [
    'an API answer',
    () =>
      fixture.demo
        .http()
        .get('/threads')
        .set('Authorization', fixture.demo.bearer('a@example.com')),
  ],
  ['a 401', () => fixture.demo.http().get('/threads')],
  ['a 404', () => fixture.demo.http().get('/no-such-route')],
  [
    'a 400 from the body parser',
    () =>
      fixture.demo
        .http()
        .post('/threads/t/runs')
        .set('Content-Type', 'application/json')
        .send('{"prompt":'),
  ],
  ['liveness', () => fixture.demo.http().get('/health/live')],
  ['readiness', () => fixture.demo.http().get('/health/ready')],
  ['the docs page', () => fixture.demo.http().get('/docs')],
  ['the OpenAPI document', () => fixture.demo.http().get('/docs-json')],
];

it.each(answers)('%s: security headers, no X-Powered-By', async (_case, request) => {
  const response = await request();
  expect(response.headers['x-powered-by']).toBeUndefined();
  expect(response.headers).toMatchObject({
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'SAMEORIGIN',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'strict-transport-security': expect.stringMatching(/^max-age=\d+/),
  });
  const csp = cspDirectives(response);
  expect(csp.get('default-src')).toEqual(["'self'"]);
  expect(csp.get('script-src')).toEqual(["'self'"]);
  expect(csp.get('script-src-attr')).toEqual(["'none'"]);
  expect(csp.get('object-src')).toEqual(["'none'"]);
  expect(csp.get('frame-ancestors')).toEqual(["'self'"]);
  expect(csp.get('base-uri')).toEqual(["'self'"]);
  // Plain HTTP on 127.0.0.1: upgrading would break the docs' own assets.
  expect(csp.has('upgrade-insecure-requests')).toBe(false);
});

it('/docs runs under the policy: every script is a file of our origin, served as JavaScript', async () => {
  const page = await fixture.demo.http().get('/docs');
  expect(page.status).toBe(200);
  const scripts = [...page.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  expect(scripts.length).toBeGreaterThanOrEqual(3);
  for (const [, attributes, body] of scripts) {
    // No inline script: the policy ('self' only) would block it.
    expect(body.trim()).toBe('');
    const src = /\bsrc="([^"]+)"/.exec(attributes)?.[1];
    expect(src).toMatch(/^\.\/docs\/[\w.-]+\.js$/);
    const script = await fixture.demo.http().get(`/${src!.slice(2)}`);
    expect([script.status, script.headers['content-type']]).toEqual([
      200,
      expect.stringMatching(/javascript/),
    ]);
  }
  const styles = [...page.text.matchAll(/<link\b[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)];
  expect(styles).toHaveLength(1);
  for (const [, href] of styles) {
    const style = await fixture.demo.http().get(`/${href.slice(2)}`);
    expect([style.status, style.headers['content-type']]).toEqual([
      200,
      expect.stringMatching(/text\/css/),
    ]);
  }
  // What the page itself needs beyond 'self': its inline <style> and style attributes, data: icons.
  const csp = cspDirectives(page);
  expect(csp.get('style-src')).toEqual(["'self'", "'unsafe-inline'"]);
  expect(csp.get('img-src')).toEqual(["'self'", 'data:']);
  // The init script loads the document from our origin, which connect-src ('self') allows.
  const init = await fixture.demo.http().get('/docs/swagger-ui-init.js');
  expect(init.text).not.toMatch(/https?:\/\//);
});
