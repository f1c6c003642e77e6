/**
 * `POST /dev/token`, the chat page's sign-in by email: in development it answers a token the API
 * accepts; in production (and test) the route does not exist: 404, absent from the OpenAPI
 * document.
 */
import { type DemoFixture, type ThreadPageBody, expectStatus, startDemo } from './demo.fixture';

describe('in development', () => {
  let fixture: DemoFixture;

  beforeAll(async () => {
    fixture = await startDemo('demo_dev_token', { NODE_ENV: 'development' });
  });

  afterAll(async () => {
    await fixture.close();
  });

  it('answers a token for the email, which the API accepts as that user', async () => {
    const { demo } = fixture;
    const issued = expectStatus(
      await demo.http().post('/dev/token').send({ email: 'dana@example.com' }),
      201,
    );
    expect(issued.body).toEqual({
      token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      email: 'dana@example.com',
      expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const lifetime = Date.parse(issued.body.expires_at) - Date.now();
    expect(lifetime).toBeGreaterThan(11 * 3600_000);
    expect(lifetime).toBeLessThanOrEqual(12 * 3600_000);
    const created = expectStatus(
      await demo
        .http()
        .post('/threads')
        .set('Authorization', `Bearer ${issued.body.token}`)
        .send({ title: 'Dana’s' }),
      201,
    );
    const listed = await demo
      .http()
      .get('/threads')
      .set('Authorization', demo.bearer('dana@example.com'));
    expect((listed.body as ThreadPageBody).threads.map((t) => t.thread_id)).toEqual([
      created.body.thread_id,
    ]);
    const docs = await demo.http().get('/docs-json');
    expect(Object.keys(docs.body.paths)).toContain('/dev/token');
  });

  it.each([{}, { email: 'not an email' }, { email: 7 }, { email: 'a@b.c', admin: true }])(
    'refuses %j with a 400',
    async (body) => {
      const refused = await fixture.demo.http().post('/dev/token').send(body);
      expect([refused.status, refused.body.error]).toEqual([400, 'Bad Request']);
    },
  );
});

describe.each(['production', 'test'])('with NODE_ENV=%s', (nodeEnv) => {
  let fixture: DemoFixture;

  beforeAll(async () => {
    fixture = await startDemo('demo_no_dev_token', { NODE_ENV: nodeEnv });
  });

  afterAll(async () => {
    await fixture.close();
  });

  it('POST /dev/token does not exist: 404, and not in the OpenAPI document', async () => {
    const { demo } = fixture;
    const refused = await demo.http().post('/dev/token').send({ email: 'eve@example.com' });
    expect({ status: refused.status, body: refused.body as unknown }).toEqual({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'Cannot POST /dev/token' },
    });
    const docs = await demo.http().get('/docs-json');
    expect(Object.keys(docs.body.paths).filter((path) => path.startsWith('/dev'))).toEqual([]);
  });
});
