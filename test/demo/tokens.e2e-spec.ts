/**
 * A token's times, as an attacker would set them: `exp` is required, a lifetime is capped at
 * `JWT_MAX_TTL_SECONDS` (24 h unless configured), and `iat`, `nbf` and `exp` get 30 s of clock
 * skew and no more. Every refusal is the same 401 on every route, whichever check failed.
 */
import { E2E_JWT_SECRET, bootDemoApp } from '../support/demo-app';
import {
  type DemoFixture,
  DEMO_SCHEMA,
  createThread,
  handMadeJwt,
  nowInSeconds,
  protectedRoutes,
  send,
  startDemo,
} from './demo.fixture';

const OWNER = 'owner@example.com';
const HS256 = { alg: 'HS256', typ: 'JWT' };
const DAY = 86_400;
const YEAR = 365 * DAY;

const REJECTED = {
  status: 401,
  challenge: 'Bearer',
  body: { statusCode: 401, error: 'Unauthorized', message: 'a valid bearer token is required' },
};

let fixture: DemoFixture;
let timed: string;
let runId: string;

beforeAll(async () => {
  fixture = await startDemo('demo_tokens');
  timed = await createThread(fixture.demo, OWNER);
  const run = await fixture.demo
    .http()
    .post(`/threads/${timed}/runs`)
    .set('Authorization', fixture.demo.bearer(OWNER))
    .send({ prompt: 'on the clock' });
  expect(run.status).toBe(201);
  runId = (run.body as { runId: string }).runId;
});

afterAll(async () => {
  await fixture.close();
});

const signed = (claims: Record<string, unknown>) =>
  `Bearer ${handMadeJwt(HS256, { email: OWNER, ...claims }, E2E_JWT_SECRET)}`;

async function answer(authorization: string, route = protectedRoutes(timed, runId)[3]) {
  const response = await send(fixture.demo, route, authorization);
  return {
    status: response.status,
    challenge: response.headers['www-authenticate'],
    body: response.body as unknown,
  };
}

describe.each([
  ['no exp (it would never expire)', () => ({ iat: nowInSeconds() })],
  ['no exp, no iat', () => ({})],
  ['an iat a year ahead', () => ({ iat: nowInSeconds() + YEAR, exp: nowInSeconds() + YEAR + 60 })],
  [
    'an iat a year ahead, exp soon',
    () => ({ iat: nowInSeconds() + YEAR, exp: nowInSeconds() + 60 }),
  ],
  ['an iat a minute ahead', () => ({ iat: nowInSeconds() + 60, exp: nowInSeconds() + 3600 })],
  ['an exp a year ahead', () => ({ iat: nowInSeconds(), exp: nowInSeconds() + YEAR })],
  ['an exp a year ahead, no iat', () => ({ exp: nowInSeconds() + YEAR })],
  ['a lifetime of 24 h and 1 s', () => ({ iat: nowInSeconds(), exp: nowInSeconds() + DAY + 1 })],
  ['an nbf a minute ahead', () => ({ nbf: nowInSeconds() + 60, exp: nowInSeconds() + 3600 })],
  ['expired a minute ago', () => ({ iat: nowInSeconds() - 3600, exp: nowInSeconds() - 60 })],
  ['an exp that is a string', () => ({ exp: String(nowInSeconds() + 3600) })],
  ['an exp that is huge', () => ({ exp: 1e308 })],
  ['an iat that is a string', () => ({ iat: 'now', exp: nowInSeconds() + 3600 })],
])('%s', (_case, claims) => {
  it('is the same 401 on every protected route', async () => {
    const authorization = signed(claims());
    const answers = [];
    for (const route of protectedRoutes(timed, runId)) {
      answers.push({ route: route.path, ...(await answer(authorization, route)) });
    }
    expect(answers).toEqual(
      protectedRoutes(timed, runId).map((route) => ({ route: route.path, ...REJECTED })),
    );
  });
});

it.each([
  ['issued now for an hour', () => ({ iat: nowInSeconds(), exp: nowInSeconds() + 3600 })],
  ['issued now for exactly 24 h', () => ({ iat: nowInSeconds(), exp: nowInSeconds() + DAY })],
  ['without iat, for an hour', () => ({ exp: nowInSeconds() + 3600 })],
  ['an iat 20 s ahead (skew)', () => ({ iat: nowInSeconds() + 20, exp: nowInSeconds() + 3600 })],
  ['an nbf 20 s ahead (skew)', () => ({ nbf: nowInSeconds() + 20, exp: nowInSeconds() + 3600 })],
  ['expired 10 s ago (skew)', () => ({ iat: nowInSeconds() - 3600, exp: nowInSeconds() - 10 })],
])('accepted: %s', async (_case, claims) => {
  expect((await answer(signed(claims()))).status).toBe(200);
});

it('JWT_MAX_TTL_SECONDS sets the cap, and the app signs within it', async () => {
  const short = await bootDemoApp({
    DATABASE_URL: fixture.database.url,
    CHECKPOINTER_SCHEMA: DEMO_SCHEMA,
    JWT_MAX_TTL_SECONDS: '3600',
  });
  try {
    const get = (authorization: string) =>
      short.http().get(`/threads/${timed}`).set('Authorization', authorization);
    expect((await get(signed({ iat: nowInSeconds(), exp: nowInSeconds() + 3600 }))).status).toBe(
      200,
    );
    const tooLong = await get(signed({ iat: nowInSeconds(), exp: nowInSeconds() + 3601 }));
    expect({ status: tooLong.status, body: tooLong.body as unknown }).toEqual({
      status: REJECTED.status,
      body: REJECTED.body,
    });
    // Its own tokens (12 h by default) are cut to the cap, so they pass its guard.
    const own = short.tokenFor(OWNER);
    const { iat, exp } = JSON.parse(Buffer.from(own.split('.')[1], 'base64url').toString()) as {
      iat: number;
      exp: number;
    };
    expect(exp - iat).toBe(3600);
    expect((await get(`Bearer ${own}`)).status).toBe(200);
  } finally {
    await short.close();
  }
});

it.each(['0', '59', '2592001', 'a day', '-1', '1.5'])(
  'JWT_MAX_TTL_SECONDS=%j refuses to boot, naming the variable',
  async (value) => {
    await expect(
      bootDemoApp({ DATABASE_URL: fixture.database.url, JWT_MAX_TTL_SECONDS: value }),
    ).rejects.toThrow(/JWT_MAX_TTL_SECONDS must be an integer of seconds from 60 to 2592000/);
  },
);
