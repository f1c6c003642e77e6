/**
 * Identity is the token's email claim in canonical form (`parseUserEmail`: trimmed, required to be
 * in NFC, A-Z lowercased and nothing else): a look-alike spelling never reaches another user's
 * threads, and ASCII case is still one user.
 */
import {
  type DemoFixture,
  type ThreadPageBody,
  actingAs,
  createThread,
  expectStatus,
  snapshotDemoTables,
  startDemo,
} from './demo.fixture';

const KATE = 'kate@example.com';

let fixture: DemoFixture;
let kates: string;

beforeAll(async () => {
  fixture = await startDemo('demo_identity');
  kates = await createThread(fixture.demo, KATE);
  expectStatus(await as(KATE).post(`/threads/${kates}/runs`, { prompt: 'my secrets' }), 201);
});

afterAll(async () => {
  await fixture.close();
});

const as = (email: string) => actingAs(fixture.demo, email);

async function threadsOf(email: string): Promise<string[]> {
  const page = expectStatus(await as(email).get('/threads'), 200).body as ThreadPageBody;
  return page.threads.map((thread) => thread.thread_id);
}

it('ASCII case and surrounding whitespace are the same user', async () => {
  expect(await threadsOf('KATE@Example.com')).toEqual([kates]);
  expect(await threadsOf(` ${KATE}\n`)).toEqual([kates]);
});

it.each([
  ['KELVIN SIGN for K', '\u212Aate@example.com'],
  ['KELVIN SIGN in the domain', 'kate@example.\u212Aom'],
  ['a decomposed é', 'kate\u0301@example.com'],
])('%s: a 400 naming userEmail on every route, nothing read or stored', async (_case, email) => {
  const before = await snapshotDemoTables(fixture.database);
  const user = as(email);
  const answers = await Promise.all([
    user.get('/threads'),
    user.post('/threads', {}),
    user.get(`/threads/${kates}`),
    user.post(`/threads/${kates}/runs`, { prompt: 'let me in' }),
    user.patch(`/threads/${kates}`, { title: 'mine now' }),
    user.get(`/threads/${kates}/sentiments`),
    user.delete(`/threads/${kates}`),
  ]);
  for (const response of answers) {
    expect({ status: response.status, body: response.body }).toEqual({
      status: 400,
      body: {
        statusCode: 400,
        error: 'Bad Request',
        message: ['userEmail must be in Unicode Normalization Form C (NFC)'],
        field: 'userEmail',
      },
    });
  }
  expect(await snapshotDemoTables(fixture.database)).toEqual(before);
});

it('other Unicode case pitfalls are users of their own, who see nothing of Kate', async () => {
  for (const email of ['ｋate@example.com', 'KATÉ@example.com', 'kate@EXAMPLE.ÇOM']) {
    expect(await threadsOf(email)).toEqual([]);
    expectStatus(await as(email).get(`/threads/${kates}`), 404);
  }
  // Spellings that Unicode case mapping or folding would merge stay apart.
  const pitfalls = ['İ@example.com', 'i\u0307@example.com', 'ẞ@example.com', 'ß@example.com'];
  const theirs: string[] = [];
  for (const email of pitfalls) {
    const threadId = await createThread(fixture.demo, email);
    expectStatus(await as(email).post(`/threads/${threadId}/runs`, { prompt: 'hi' }), 201);
    theirs.push(threadId);
  }
  for (const [index, email] of pitfalls.entries()) {
    expect(await threadsOf(email)).toEqual([theirs[index]]);
  }
  expect(await threadsOf('i@example.com')).toEqual([]);
  expect(await threadsOf('ss@example.com')).toEqual([]);
});
