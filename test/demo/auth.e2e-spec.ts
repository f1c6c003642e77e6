/**
 * Identity: every route but health requires `Authorization: Bearer <JWT>`, HS256 with the app's
 * secret, unexpired, with an `email` claim. Every other token is a 401 on EVERY protected route,
 * and nothing is read for or written by it. Forged tokens are made by hand (`handMadeJwt`), and a
 * hand-made token done right is shown to pass, so each rejection is down to its one flaw.
 */
import { E2E_JWT_SECRET } from '../support/demo-app';
import {
  type DemoFixture,
  createThread,
  handMadeJwt,
  nowInSeconds,
  protectedRoutes,
  send,
  snapshotDemoTables,
  startDemo,
} from './demo.fixture';

const OWNER = 'owner@example.com';
const HS256 = { alg: 'HS256', typ: 'JWT' };

let fixture: DemoFixture;
let guarded: string;
let runId: string;

beforeAll(async () => {
  fixture = await startDemo('demo_auth');
  const { demo } = fixture;
  guarded = await createThread(demo, OWNER);
  const run = await demo
    .http()
    .post(`/threads/${guarded}/runs`)
    .set('Authorization', demo.bearer(OWNER))
    .send({ prompt: 'secret plans' });
  expect(run.status).toBe(201);
  runId = run.body.runId;
});

afterAll(async () => {
  await fixture.close();
});

/** A payload the app accepts: the owner, issued now, valid for an hour. */
function goodClaims(): Record<string, unknown> {
  const now = nowInSeconds();
  return { email: OWNER, iat: now, exp: now + 3600 };
}

function validToken(): string {
  return fixture.demo.tokenFor(OWNER);
}

/** `header.payload.signature` with the payload swapped for `claims`, the signature kept. */
function withPayload(token: string, claims: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

const REJECTED = {
  statusCode: 401,
  error: 'Unauthorized',
  message: 'a valid bearer token is required',
};

/** Every way to fail, as the `Authorization` header to send (`undefined`: none). */
const BAD_CREDENTIALS: [string, () => string | undefined, object][] = [
  ['no Authorization header', () => undefined, REJECTED],
  ['an empty Authorization header', () => '', REJECTED],
  ['"Bearer" without a token', () => 'Bearer', REJECTED],
  [
    'another scheme (Basic)',
    () => `Basic ${Buffer.from(`${OWNER}:pw`).toString('base64')}`,
    REJECTED,
  ],
  ['a token without the Bearer scheme', () => validToken(), REJECTED],
  ['a malformed token', () => 'Bearer not-a-jwt', REJECTED],
  ['a token of three garbage parts', () => 'Bearer a.b.c', REJECTED],
  [
    'an unsigned token (alg: none)',
    () => `Bearer ${handMadeJwt({ alg: 'none', typ: 'JWT' }, goodClaims())}`,
    REJECTED,
  ],
  [
    'an unsigned token (alg: none) carrying a signature',
    () =>
      `Bearer ${withPayload(validToken(), goodClaims()).replace(/^[^.]+/, Buffer.from('{"alg":"none"}').toString('base64url'))}`,
    REJECTED,
  ],
  [
    'an expired token',
    () =>
      `Bearer ${handMadeJwt(HS256, { ...goodClaims(), iat: nowInSeconds() - 7200, exp: nowInSeconds() - 60 }, E2E_JWT_SECRET)}`,
    REJECTED,
  ],
  [
    'a token not valid yet (nbf in the future)',
    () =>
      `Bearer ${handMadeJwt(HS256, { ...goodClaims(), nbf: nowInSeconds() + 3600 }, E2E_JWT_SECRET)}`,
    REJECTED,
  ],
  [
    'a token signed with another secret',
    () => `Bearer ${handMadeJwt(HS256, goodClaims(), 'another-secret-0123456789abcdef0123')}`,
    REJECTED,
  ],
  [
    'a token signed with the right secret under another algorithm (HS512)',
    () => `Bearer ${handMadeJwt({ alg: 'HS512', typ: 'JWT' }, goodClaims(), E2E_JWT_SECRET)}`,
    REJECTED,
  ],
  [
    'a signed token whose payload was altered',
    () => `Bearer ${withPayload(validToken(), { ...goodClaims(), email: 'mallory@example.com' })}`,
    REJECTED,
  ],
  [
    'a well-signed token without an email claim',
    () =>
      `Bearer ${handMadeJwt(HS256, { sub: OWNER, exp: nowInSeconds() + 3600 }, E2E_JWT_SECRET)}`,
    { statusCode: 401, error: 'Unauthorized', message: 'the token carries no email claim' },
  ],
  [
    'a well-signed token whose email is blank',
    () => `Bearer ${handMadeJwt(HS256, { ...goodClaims(), email: '  ' }, E2E_JWT_SECRET)}`,
    { statusCode: 401, error: 'Unauthorized', message: 'the token carries no email claim' },
  ],
  [
    'a well-signed token whose email is not a string',
    () => `Bearer ${handMadeJwt(HS256, { ...goodClaims(), email: [OWNER] }, E2E_JWT_SECRET)}`,
    { statusCode: 401, error: 'Unauthorized', message: 'the token carries no email claim' },
  ],
];

it('the routes below are every route of the OpenAPI document but health', async () => {
  const { body } = await fixture.demo.http().get('/docs-json');
  const documented = Object.entries(body.paths as Record<string, object>)
    .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`))
    .filter((operation) => !operation.includes(' /health/'));
  const tested = protectedRoutes(guarded, runId).map((r) => `${r.method} ${r.route}`);
  expect([...new Set(tested)].sort()).toEqual(documented.sort());
});

it('a hand-made token done right is accepted (the control for the forgeries below)', async () => {
  const token = handMadeJwt(HS256, goodClaims(), E2E_JWT_SECRET);
  const response = await fixture.demo
    .http()
    .get(`/threads/${guarded}`)
    .set('Authorization', `Bearer ${token}`);
  expect(response.status).toBe(200);
  expect(response.body.full_prompt).toBe('secret plans');
});

it('the scheme is matched case-insensitively, as RFC 7235 has it', async () => {
  const response = await fixture.demo
    .http()
    .get(`/threads/${guarded}`)
    .set('Authorization', `bearer ${validToken()}`);
  expect(response.status).toBe(200);
});

describe.each(BAD_CREDENTIALS)('%s', (_case, authorization, expected) => {
  it('is a 401 on every protected route, and nothing is stored', async () => {
    const before = await snapshotDemoTables(fixture.database);
    const answers = [];
    for (const route of protectedRoutes(guarded, runId)) {
      const response = await send(fixture.demo, route, authorization());
      answers.push({
        route: `${route.method} ${route.path}`,
        status: response.status,
        challenge: response.headers['www-authenticate'],
        body: response.body,
      });
    }
    expect(answers).toEqual(
      protectedRoutes(guarded, runId).map((route) => ({
        route: `${route.method} ${route.path}`,
        status: 401,
        challenge: 'Bearer',
        body: expected,
      })),
    );
    expect(await snapshotDemoTables(fixture.database)).toEqual(before);
  });
});
