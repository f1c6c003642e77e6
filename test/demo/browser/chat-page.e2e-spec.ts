/**
 * The chat page at `/`, in a real headless Chromium (playwright-core) against the demo on
 * PostgreSQL, booted as `main.ts` boots it and listening on a loopback port: sign in by email,
 * a new thread, an answer streamed in several pieces, the conversation and its rating after a
 * reload, rename and delete; another user seeing none of it; an expired or refused token back to
 * sign-in; a busy thread and the database stopped (a TCP proxy refusing), said in words and
 * recovered from by itself. Screenshots of the main screens, desktop and 375 px wide, go to
 * `.artifacts/browser/` (kept out of git; `docs/demo-chat.png` is a copy of one).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ThreadTurns } from '../../../src/checkpointer';
import { describeInBrowser, launchChromium, watchForTrouble } from '../../support/browser';
import { TEST_DATABASE_URL } from '../../support/database';
import { E2E_JWT_SECRET } from '../../support/demo-app';
import { ON_EMBEDDED_DATABASE, itOnRealPostgres } from '../../support/real-postgres';
import { TcpProxy } from '../../support/tcp-proxy';
import {
  type DemoFixture,
  type ThreadDetailBody,
  type ThreadPageBody,
  actingAs,
  expectStatus,
  handMadeJwt,
  nowInSeconds,
  startDemo,
} from '../demo.fixture';

const ROOT = join(__dirname, '..', '..', '..');
const SHOTS = join(ROOT, '.artifacts', 'browser');
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 740 };

const reply = (prompt: string, n: number) =>
  `You said "${prompt}". This is message ${n} of this conversation.`;

describeInBrowser('the chat page', () => {
  let proxy: TcpProxy | undefined;
  let fixture: DemoFixture;
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    // The page as `npm run build` makes it (the server side runs from source).
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.cjs')], { stdio: 'pipe' });
    mkdirSync(SHOTS, { recursive: true });
    if (!ON_EMBEDDED_DATABASE) {
      const server = new URL(TEST_DATABASE_URL);
      proxy = await TcpProxy.start({ host: server.hostname, port: Number(server.port || 5432) });
    }
    fixture = await startDemo('demo_browser', (database) => ({
      NODE_ENV: 'development',
      // The pool goes through the proxy, to stop the database under the page; migrations direct.
      DATABASE_URL: proxy === undefined ? database.url : proxy.urlFor(database.url),
      MIGRATION_DATABASE_URL: database.url,
      // A busy thread answers 409 at once, for the page to say so and try again.
      TURN_WAIT_MS: '0',
    }));
    await fixture.demo.app.listen(0, '127.0.0.1');
    const { port } = (fixture.demo.app.getHttpServer() as Server).address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    proxy?.allow();
    for (const context of contexts) await context.close();
    await browser?.close();
    await fixture?.close();
    await proxy?.close();
  });

  async function newPage(viewport = DESKTOP): Promise<Page> {
    const context = await browser.newContext({ viewport, baseURL: base });
    contexts.push(context);
    return context.newPage();
  }

  async function signIn(page: Page, email: string): Promise<void> {
    await page.goto('/');
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText(`Signed in as ${email}`).waitFor();
  }

  /** A screenshot: the window on a desktop, the whole page on a phone (it scrolls as one). */
  const shoot = (page: Page, name: string) =>
    page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: name.startsWith('mobile') });

  /** Texts of the open conversation's messages, in order. */
  const messagesOf = (page: Page) => page.locator('#messages .message-text').allTextContents();

  const notice = (page: Page) => page.locator('#notice');

  it('signs in, streams an answer in pieces, keeps conversation and rating over a reload, renames and deletes', async () => {
    const page = await newPage();
    const trouble = watchForTrouble(page);
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shoot(page, 'desktop-sign-in');
    await signIn(page, ALICE);
    await page.getByText('No conversations yet.').waitFor();

    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.locator('#thread-list button[aria-current="true"]').waitFor();
    const threadId = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('thread')!;
    expect(threadId).toMatch(/^[0-9a-f-]{36}$/);

    // Every state the answer's text goes through, as the page renders it.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { answerLengths: number[] }).answerLengths = seen;
      new MutationObserver(() => {
        const answers = document.querySelectorAll('#messages .message.assistant .message-text');
        const last = answers[answers.length - 1];
        const length = last?.textContent?.length ?? 0;
        if (length > 0 && seen[seen.length - 1] !== length) seen.push(length);
      }).observe(document.getElementById('messages')!, {
        subtree: true,
        childList: true,
        characterData: true,
      });
    });
    const prompt = 'What does a checkpointer keep?';
    await page.getByLabel('Your message').fill(prompt);
    await page.getByLabel('Your message').press('Enter');
    const answer = page.locator('#messages .message.assistant').last();
    await answer.getByRole('button', { name: 'Good answer' }).waitFor();
    expect(await messagesOf(page)).toEqual([prompt, reply(prompt, 2)]);
    const lengths = await page.evaluate(
      () => (window as unknown as { answerLengths: number[] }).answerLengths,
    );
    // The answer grew in steps: several lengths on the way, each longer, ending at the whole.
    expect(lengths.length).toBeGreaterThan(2);
    expect([...lengths].sort((a, b) => a - b)).toEqual(lengths);
    expect(lengths.at(-1)).toBe(reply(prompt, 2).length);
    expect(Number(await answer.getAttribute('data-chunks'))).toBeGreaterThan(1);
    // Its first prompt named the thread, in the list and the heading.
    await page.locator('#thread-list .thread-title', { hasText: prompt }).waitFor();
    await page.getByRole('heading', { name: prompt }).waitFor();
    await shoot(page, 'desktop-conversation');

    await page.reload();
    await page.getByRole('heading', { name: prompt }).waitFor();
    await page.locator('#messages .message').nth(1).waitFor();
    expect(await messagesOf(page)).toEqual([prompt, reply(prompt, 2)]);

    await page.getByRole('button', { name: 'Good answer' }).click();
    await page.locator('button[aria-label="Good answer"][aria-pressed="true"]').waitFor();
    await page.reload();
    const good = page.getByRole('button', { name: 'Good answer' });
    await good.waitFor();
    expect(await good.getAttribute('aria-pressed')).toBe('true');
    expect(
      await page.getByRole('button', { name: 'Bad answer' }).getAttribute('aria-pressed'),
    ).toBe('false');
    expect(await page.getByRole('button', { name: 'Clear the rating' }).isEnabled()).toBe(true);
    const stored = expectStatus(
      await actingAs(fixture.demo, ALICE).get(`/threads/${threadId}`),
      200,
    ).body as ThreadDetailBody;
    expect(stored.runs.map((run) => run.sentiment)).toEqual([true]);

    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('New title').fill('Checkpoints, explained');
    await page.getByLabel('New title').press('Enter');
    await page.getByRole('heading', { name: 'Checkpoints, explained' }).waitFor();
    await page.reload();
    await page
      .locator('#thread-list .thread-title', { hasText: 'Checkpoints, explained' })
      .waitFor();
    await page.getByRole('heading', { name: 'Checkpoints, explained' }).waitFor();

    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this conversation?' });
    await dialog.waitFor();
    // Escape backs out; the thread stays.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await notice(page).getByText('The conversation was deleted.').waitFor();
    await page.getByText('No conversations yet.').waitFor();
    const listed = expectStatus(await actingAs(fixture.demo, ALICE).get('/threads'), 200)
      .body as ThreadPageBody;
    expect(listed.threads).toEqual([]);

    // The deleted thread's address: said in words, not a blank page.
    await page.goto(`/#thread=${threadId}`);
    await notice(page).getByText('This conversation does not exist, or it is not yours.').waitFor();
    expect(trouble).toEqual({ errors: [], violations: [] });
  });

  it("another user, in another browser context, sees none of the first user's threads", async () => {
    const alice = await newPage();
    await signIn(alice, ALICE);
    await alice.getByRole('button', { name: 'New conversation' }).click();
    await alice.getByLabel('Your message').fill('Alice’s secret plans');
    await alice.getByRole('button', { name: 'Send' }).click();
    await alice
      .locator('#thread-list .thread-title', { hasText: 'Alice’s secret plans' })
      .waitFor();
    const alicesThread = new URLSearchParams(new URL(alice.url()).hash.slice(1)).get('thread')!;

    // Bob has 22 threads of his own: a first page of 20, then "Load more".
    for (let i = 0; i < 22; i += 1) {
      expectStatus(
        await actingAs(fixture.demo, BOB).post('/threads', { title: `Bob’s thread ${i + 1}` }),
        201,
      );
    }
    const bob = await newPage();
    const trouble = watchForTrouble(bob);
    await signIn(bob, BOB);
    const titles = bob.locator('#thread-list .thread-title');
    await titles.nth(19).waitFor();
    expect(await titles.count()).toBe(20);
    // Newest activity first.
    expect(await titles.first().textContent()).toBe('Bob’s thread 22');
    await bob.getByRole('button', { name: 'Load more' }).click();
    await titles.nth(21).waitFor();
    expect(await titles.count()).toBe(22);
    await bob.getByRole('button', { name: 'Load more' }).waitFor({ state: 'hidden' });
    expect((await titles.allTextContents()).filter((t) => !t.startsWith('Bob’s'))).toEqual([]);

    // Alice's thread by its address: the same words as for any thread not his.
    await bob.goto(`/#thread=${alicesThread}`);
    await notice(bob).getByText('This conversation does not exist, or it is not yours.').waitFor();
    expect(await bob.locator('#messages .message').count()).toBe(0);
    expect(await bob.content()).not.toContain('secret plans');
    expect(trouble).toEqual({ errors: [], violations: [] });
  });

  it('an expired token, or one the server refuses, goes back to sign-in saying why', async () => {
    const page = await newPage();
    await signIn(page, ALICE);
    const expired = handMadeJwt(
      { alg: 'HS256', typ: 'JWT' },
      { email: ALICE, iat: nowInSeconds() - 7200, exp: nowInSeconds() - 3600 },
      E2E_JWT_SECRET,
    );
    await page.evaluate((token) => localStorage.setItem('checkpointer-demo.token', token), expired);
    await page.reload();
    await page
      .locator('#sign-in-reason', { hasText: 'Your session has expired. Please sign in again.' })
      .waitFor();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    // A token that looks fine here but that the server refuses (another secret): at its first use.
    await signIn(page, ALICE);
    const foreign = handMadeJwt(
      { alg: 'HS256', typ: 'JWT' },
      { email: ALICE, iat: nowInSeconds(), exp: nowInSeconds() + 3600 },
      'another-secret-0123456789abcdef0123456789',
    );
    await page.evaluate((token) => localStorage.setItem('checkpointer-demo.token', token), foreign);
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page
      .locator('#sign-in-reason', {
        hasText: 'Your session has expired or is no longer valid. Please sign in again.',
      })
      .waitFor();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => localStorage.getItem('checkpointer-demo.token'))).toBeNull();

    // A pasted token works as the email form does.
    await page.getByText('Sign in with a bearer token instead').click();
    await page.getByLabel('Bearer token').fill(fixture.demo.tokenFor(BOB));
    await page.getByRole('button', { name: 'Sign in with this token' }).click();
    await page.getByText(`Signed in as ${BOB}`).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('at 375 px: one column, nothing wider than the screen, keyboard focus visible', async () => {
    const page = await newPage(PHONE);
    const trouble = watchForTrouble(page);
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shoot(page, 'mobile-sign-in');
    // The keyboard alone: the email field has the focus; Tab reaches the button, focus visible.
    const focused = () =>
      page.evaluate(() => ({
        id: document.activeElement?.id,
        text: document.activeElement?.textContent,
        outline: getComputedStyle(document.activeElement!).outlineStyle,
      }));
    expect(await focused()).toEqual({ id: 'email', text: '', outline: 'solid' });
    await page.keyboard.press('Tab');
    expect(await focused()).toEqual({ id: '', text: 'Sign in', outline: 'solid' });
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.type(ALICE);
    await page.keyboard.press('Enter');
    await page.getByText(`Signed in as ${ALICE}`).waitFor();
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByLabel('Your message').fill('Hello from a small screen');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Good answer' }).waitFor();
    await page.getByLabel('Your message').fill('And a second message, to fill the screen a little');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Good answer' }).nth(1).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      PHONE.width,
    );
    await shoot(page, 'mobile-conversation');
    expect(trouble).toEqual({ errors: [], violations: [] });
  });

  itOnRealPostgres(
    'a busy thread: said in words, tried again after Retry-After, answered',
    async () => {
      const page = await newPage();
      await signIn(page, ALICE);
      await page.getByRole('button', { name: 'New conversation' }).click();
      await page.locator('#thread-list button[aria-current="true"]').waitFor();
      const threadId = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('thread')!;
      // Another turn holds the thread, as another tab or replica would.
      let release: () => void = () => undefined;
      let holding: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (holding = resolve));
      const other = fixture.demo.app.get(ThreadTurns).run(ALICE, threadId, async () => {
        holding();
        await new Promise<void>((resolve) => (release = resolve));
      });
      await held;
      await page.getByLabel('Your message').fill('Are you free?');
      await page.getByLabel('Your message').press('Enter');
      await notice(page)
        .getByText('This conversation is busy answering another message.')
        .waitFor();
      await notice(page)
        .getByText(/Trying again in \d+ s/)
        .waitFor();
      release();
      await other;
      await page.getByRole('button', { name: 'Good answer' }).waitFor({ timeout: 15_000 });
      expect(await messagesOf(page)).toEqual(['Are you free?', reply('Are you free?', 2)]);
      await notice(page).waitFor({ state: 'hidden' });
    },
  );

  itOnRealPostgres(
    'the database stopped: the page says so, tries again after Retry-After, and recovers',
    async () => {
      const page = await newPage(PHONE);
      const trouble = watchForTrouble(page);
      await signIn(page, ALICE);
      await page.getByRole('button', { name: 'New conversation' }).click();
      await page.locator('#thread-list button[aria-current="true"]').waitFor();
      const threadId = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('thread')!;

      proxy!.refuse(60_000); // and cuts the pool's open connections
      await page.getByLabel('Your message').fill('Anyone there?');
      await page.getByLabel('Your message').press('Enter');
      await notice(page).getByText('The database is unavailable right now.').waitFor();
      await notice(page)
        .getByText(/Trying again in \d+ s/)
        .waitFor();
      await notice(page).getByRole('button', { name: 'Retry now' }).waitFor();
      await shoot(page, 'mobile-database-down');
      // Still down after a retry: still said, still trying.
      await page.getByRole('button', { name: 'Retry now' }).click();
      await notice(page).getByText('The database is unavailable right now.').waitFor();

      proxy!.allow();
      await page.getByRole('button', { name: 'Good answer' }).waitFor({ timeout: 30_000 });
      expect(await messagesOf(page)).toEqual(['Anyone there?', reply('Anyone there?', 2)]);
      await notice(page).waitFor({ state: 'hidden' });
      // Sent once, however many times it was tried: the same run id every time.
      await page.reload();
      await page.locator('#messages .message').nth(1).waitFor();
      expect(await messagesOf(page)).toEqual(['Anyone there?', reply('Anyone there?', 2)]);
      const stored = expectStatus(
        await actingAs(fixture.demo, ALICE).get(`/threads/${threadId}`),
        200,
      ).body as ThreadDetailBody;
      expect(stored.run_count).toBe(1);
      expect(trouble).toEqual({ errors: [], violations: [] });
    },
    90_000,
  );
});
