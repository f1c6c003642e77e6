import { Api, ApiError, type ThreadDetail } from './api.js';
import { ConversationPanel } from './conversation-panel.js';
import { byId, show, uuid } from './dom.js';
import { Notice, type Retry } from './notice.js';
import { claimsOf, forgetToken, isTokenChange, storeToken, storedToken } from './session.js';
import { ThreadsPanel } from './threads-panel.js';

/**
 * The chat page: sign in (a development token by email, or a pasted one), the user's threads, the
 * open conversation with its answers streamed and rateable. Every failure is shown in words in
 * the alert region; those worth trying again are tried again after the server's `Retry-After`.
 * The open thread is in the address (`#thread=<id>`), so a reload finds it.
 */
class ChatPage {
  private readonly api = new Api(() => storedToken());
  private readonly notice = new Notice();
  private readonly threads = new ThreadsPanel({
    load: (cursor) => this.api.listThreads(cursor),
    open: (threadId) => this.navigate(threadId),
    failed: (error, retry) => this.failed(error, retry),
  });
  private readonly conversation = new ConversationPanel({
    rate: async (runId, sentiment) => {
      try {
        return (await this.api.rate(runId, sentiment)).sentiment;
      } catch (error) {
        this.failed(error);
        throw error;
      }
    },
  });
  private readonly signIn = byId('sign-in', HTMLElement);
  private readonly signInReason = byId('sign-in-reason', HTMLParagraphElement);
  private readonly emailForm = byId('email-form', HTMLFormElement);
  private readonly email = byId('email', HTMLInputElement);
  private readonly tokenForm = byId('token-form', HTMLFormElement);
  private readonly tokenDetails = byId('token-details', HTMLDetailsElement);
  private readonly tokenInput = byId('token', HTMLTextAreaElement);
  private readonly chat = byId('chat', HTMLDivElement);
  private readonly who = byId('who', HTMLDivElement);
  private readonly whoEmail = byId('who-email', HTMLElement);
  private readonly composer = byId('composer', HTMLFormElement);
  private readonly prompt = byId('composer-input', HTMLTextAreaElement);
  private readonly send = byId('send', HTMLButtonElement);
  private readonly tools = byId('conversation-tools', HTMLDivElement);
  private readonly renameForm = byId('rename-form', HTMLFormElement);
  private readonly renameInput = byId('rename-input', HTMLInputElement);
  private readonly confirmDelete = byId('confirm-delete', HTMLDialogElement);
  private openThread: string | undefined;
  /** A thread being created ("New conversation" clicked): a prompt sent meanwhile goes there. */
  private creating: Promise<string | undefined> | undefined;
  /** The thread whose answer is streaming into the conversation now. */
  private streaming: string | undefined;
  private expiry: number | undefined;

  start(): void {
    this.emailForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.signInByEmail();
    });
    this.tokenForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.signInWithToken(this.tokenInput.value.trim());
    });
    byId('sign-out', HTMLButtonElement).addEventListener('click', () => this.signOut());
    byId('new-thread', HTMLButtonElement).addEventListener('click', () => void this.newThread());
    this.composer.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submitPrompt();
    });
    this.prompt.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.composer.requestSubmit();
      }
    });
    byId('rename', HTMLButtonElement).addEventListener('click', () => this.startRename());
    byId('rename-cancel', HTMLButtonElement).addEventListener('click', () => this.endRename());
    this.renameInput.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.endRename();
    });
    this.renameForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.rename();
    });
    byId('delete', HTMLButtonElement).addEventListener('click', () => {
      // Escape closes the dialog keeping the last returnValue: start from none.
      this.confirmDelete.returnValue = '';
      this.confirmDelete.showModal();
    });
    this.confirmDelete.addEventListener('close', () => {
      if (this.confirmDelete.returnValue === 'delete') void this.deleteOpen();
    });
    window.addEventListener('hashchange', () => void this.openFromAddress());
    window.addEventListener('storage', (event) => {
      if (isTokenChange(event)) this.resume();
    });
    this.resume();
  }

  /** Shows the chat for the stored token, or the sign-in form. */
  private resume(reason?: string): void {
    const token = storedToken();
    const claims = token === undefined ? undefined : claimsOf(token);
    if (token === undefined || claims === undefined) {
      this.showSignIn(reason);
      return;
    }
    if (claims.expiresAt !== undefined && claims.expiresAt <= Date.now()) {
      forgetToken();
      this.showSignIn('Your session has expired. Please sign in again.');
      return;
    }
    this.whoEmail.textContent = claims.email;
    show(this.signIn, false);
    show(this.chat, true);
    show(this.who, true);
    window.clearTimeout(this.expiry);
    if (claims.expiresAt !== undefined) {
      // Timers fire at most ~24.8 days ahead; tokens live at most 30 days, checked again on use.
      const wait = Math.min(claims.expiresAt - Date.now(), 2 ** 31 - 1);
      this.expiry = window.setTimeout(() => this.resume(), wait);
    }
    void this.threads.reload();
    void this.openFromAddress();
  }

  private showSignIn(reason?: string): void {
    window.clearTimeout(this.expiry);
    this.threads.clear();
    this.conversation.clear();
    this.openThread = undefined;
    show(this.chat, false);
    show(this.who, false);
    show(this.signIn, true);
    this.signInReason.textContent = reason ?? '';
    show(this.signInReason, reason !== undefined);
    this.email.focus();
  }

  private async signInByEmail(): Promise<void> {
    const email = this.email.value.trim();
    try {
      const issued = await this.api.devToken(email);
      this.notice.hide();
      this.signInWithToken(issued.token);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        this.notice.show(
          'Signing in by email works only on a development server. Paste a bearer token instead ' +
            '(npm run token -- you@example.com).',
        );
        this.tokenDetails.open = true;
        this.tokenInput.focus();
        return;
      }
      this.failed(error, { key: 'sign-in', run: () => void this.signInByEmail() });
    }
  }

  private signInWithToken(token: string): void {
    if (claimsOf(token) === undefined) {
      this.notice.show('That does not look like a bearer token (a JWT with an email claim).');
      this.tokenInput.focus();
      return;
    }
    this.notice.hide();
    this.tokenInput.value = '';
    storeToken(token);
    this.resume();
  }

  private signOut(reason?: string): void {
    forgetToken();
    this.notice.reset();
    history.replaceState(null, '', location.pathname);
    this.showSignIn(reason);
  }

  /** The thread named in the address, opened. */
  private async openFromAddress(): Promise<void> {
    const threadId = new URLSearchParams(location.hash.slice(1)).get('thread') ?? undefined;
    if (threadId === undefined) {
      this.openThread = undefined;
      this.threads.select(undefined);
      this.conversation.clear();
      show(this.tools, false);
      return;
    }
    await this.load(threadId);
  }

  private navigate(threadId: string): void {
    if (location.hash === `#thread=${encodeURIComponent(threadId)}`) void this.load(threadId);
    else location.hash = `thread=${encodeURIComponent(threadId)}`;
  }

  private async load(threadId: string): Promise<void> {
    this.openThread = threadId;
    this.threads.select(threadId);
    let thread: ThreadDetail;
    try {
      thread = await this.api.getThread(threadId);
    } catch (error) {
      if (this.openThread !== threadId) return;
      this.failed(error, {
        key: `thread:${threadId}`,
        run: () => {
          if (this.openThread === threadId) void this.load(threadId);
        },
      });
      return;
    }
    // The conversation on screen is ahead of what was read while its answer streams.
    if (this.openThread !== threadId || this.streaming === threadId) return;
    this.notice.hide();
    this.conversation.render(thread);
    show(this.tools, true);
    this.endRename();
  }

  /** Creates a thread and opens it; one at a time, however often the button is pressed. */
  private newThread(): Promise<string | undefined> {
    this.creating ??= this.createThread().finally(() => (this.creating = undefined));
    return this.creating;
  }

  private async createThread(): Promise<string | undefined> {
    try {
      const thread = await this.api.createThread();
      this.threads.upsert(thread, true);
      // Open at once (it is empty), before the address changes and loads it again.
      this.openThread = thread.thread_id;
      this.threads.select(thread.thread_id);
      this.conversation.render({ ...thread, messages: [], runs: [] });
      show(this.tools, true);
      this.navigate(thread.thread_id);
      this.prompt.focus();
      return thread.thread_id;
    } catch (error) {
      this.failed(error, { key: 'new-thread', run: () => void this.newThread() });
      return undefined;
    }
  }

  private async submitPrompt(): Promise<void> {
    const prompt = this.prompt.value.trim();
    if (prompt === '' || this.streaming !== undefined) return;
    const threadId =
      this.creating !== undefined
        ? await this.creating
        : (this.openThread ?? (await this.newThread()));
    if (threadId === undefined) return;
    this.prompt.value = '';
    await this.takeTurn(threadId, prompt, uuid());
  }

  /** One turn, streamed; the same `runId` on every attempt, so trying again never runs it twice. */
  private async takeTurn(threadId: string, prompt: string, runId: string): Promise<void> {
    this.setBusy(threadId);
    const answer = this.conversation.beginTurn(prompt);
    try {
      const end = await this.api.streamTurn(
        threadId,
        { prompt, runId },
        {
          started: (run) => answer.started(run.runId),
          chunk: (text) => answer.chunk(text),
        },
      );
      answer.finish(end.reply);
      this.notice.hide();
      // Its new activity puts it first; its first run may have named it.
      void this.refreshListing(threadId);
    } catch (error) {
      this.setBusy(undefined);
      answer.discard();
      const explanation = this.failed(error, {
        key: `turn:${runId}`,
        run: () => {
          if (this.openThread === threadId) void this.takeTurn(threadId, prompt, runId);
        },
        // Not sent after all: the prompt goes back to the message box.
        cancel: () => {
          if (this.openThread === threadId && this.prompt.value === '') this.prompt.value = prompt;
        },
      });
      if (explanation.retryAfterSeconds === undefined && !explanation.threadGone) {
        // Not tried again by itself: give the prompt back, and show the thread as it is.
        if (this.openThread === threadId && this.prompt.value === '') this.prompt.value = prompt;
        if (this.openThread === threadId) void this.load(threadId);
      }
    } finally {
      this.setBusy(undefined);
    }
  }

  /** After a turn: the thread's listing entry (title, activity) as the server has it now. */
  private async refreshListing(threadId: string): Promise<void> {
    try {
      const thread = await this.api.getThread(threadId);
      this.threads.upsert(thread, true);
      if (this.openThread === threadId) this.conversation.retitle(thread.title);
    } catch {
      // Only the listing is behind; the next action will say what is wrong, if anything is.
    }
  }

  private startRename(): void {
    if (this.openThread === undefined) return;
    this.renameInput.value = this.threads.get(this.openThread)?.title ?? '';
    show(this.renameForm, true);
    this.renameInput.focus();
    this.renameInput.select();
  }

  private endRename(): void {
    const wasOpen = !this.renameForm.hidden;
    show(this.renameForm, false);
    if (wasOpen) byId('rename', HTMLButtonElement).focus();
  }

  private async rename(): Promise<void> {
    const threadId = this.openThread;
    const title = this.renameInput.value.trim();
    if (threadId === undefined || title === '') return;
    try {
      const thread = await this.api.renameThread(threadId, title);
      this.threads.upsert(thread, false);
      this.conversation.retitle(thread.title);
      this.endRename();
    } catch (error) {
      this.failed(error, { key: 'rename', run: () => void this.rename() });
    }
  }

  private async deleteOpen(): Promise<void> {
    const threadId = this.openThread;
    if (threadId === undefined) return;
    try {
      await this.api.deleteThread(threadId);
    } catch (error) {
      this.failed(error, { key: 'delete', run: () => void this.deleteOpen() });
      return;
    }
    this.forgetThread(threadId, 'The conversation was deleted.');
    this.notice.show('The conversation was deleted.');
  }

  private forgetThread(threadId: string, note: string): void {
    this.threads.remove(threadId);
    if (this.openThread === threadId) {
      this.openThread = undefined;
      history.replaceState(null, '', location.pathname);
      this.threads.select(undefined);
      this.conversation.clear(note);
      show(this.tools, false);
    }
  }

  /** Tells the user what went wrong, and acts on it (sign-in, a gone thread, a retry). */
  private failed(error: unknown, retry?: Retry) {
    const explanation = this.notice.explain(error, retry);
    if (explanation.signOut) {
      this.signOut(explanation.message);
    } else if (explanation.threadGone && this.openThread !== undefined) {
      this.forgetThread(this.openThread, explanation.message);
    }
    return explanation;
  }

  private setBusy(streaming: string | undefined): void {
    this.streaming = streaming;
    this.send.disabled = streaming !== undefined;
    this.send.textContent = streaming === undefined ? 'Send' : 'Answering…';
  }
}

new ChatPage().start();
