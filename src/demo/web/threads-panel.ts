import type { ThreadItem, ThreadPage } from './api.js';
import { byId, element, show } from './dom.js';
import type { Retry } from './notice.js';

/** What the list needs from the page. */
export interface ThreadsPanelHost {
  /** The next page of the user's threads, newest activity first. */
  load(cursor: string | null): Promise<ThreadPage>;
  /** The user picked a thread. */
  open(threadId: string): void;
  /** Loading failed: tell the user (and try `retry` again when that makes sense). */
  failed(error: unknown, retry: Retry): void;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** The user's threads, newest activity first, with "Load more" on the keyset cursor. */
export class ThreadsPanel {
  private readonly list = byId('thread-list', HTMLUListElement);
  private readonly more = byId('load-more', HTMLButtonElement);
  private readonly empty = byId('threads-empty', HTMLParagraphElement);
  private readonly items = new Map<string, ThreadItem>();
  private cursor: string | null = null;
  private current: string | undefined;

  constructor(private readonly host: ThreadsPanelHost) {
    this.more.addEventListener('click', () => void this.loadMore());
  }

  /** Loads the first page again (after signing in, or to put a thread's new activity first). */
  async reload(): Promise<void> {
    let page: ThreadPage;
    try {
      page = await this.host.load(null);
    } catch (error) {
      this.host.failed(error, { key: 'threads', run: () => void this.reload() });
      return;
    }
    this.items.clear();
    this.list.replaceChildren();
    this.append(page);
  }

  /** Forgets everything (signed out). */
  clear(): void {
    this.items.clear();
    this.list.replaceChildren();
    this.cursor = null;
    this.current = undefined;
    show(this.more, false);
    show(this.empty, false);
  }

  /** Puts `thread` first (new, or with new activity), or updates it in place (renamed). */
  upsert(thread: ThreadItem, first: boolean): void {
    this.items.set(thread.thread_id, thread);
    const row = this.row(thread);
    const existing = this.rowOf(thread.thread_id);
    if (existing !== undefined && !first) existing.replaceWith(row);
    else {
      existing?.remove();
      this.list.prepend(row);
    }
    show(this.empty, false);
  }

  remove(threadId: string): void {
    this.items.delete(threadId);
    this.rowOf(threadId)?.remove();
    show(this.empty, this.items.size === 0 && this.cursor === null);
  }

  /** Marks the open thread (`aria-current`). */
  select(threadId: string | undefined): void {
    this.current = threadId;
    for (const button of this.list.querySelectorAll<HTMLButtonElement>('button[data-thread-id]')) {
      if (button.dataset.threadId === threadId) button.setAttribute('aria-current', 'true');
      else button.removeAttribute('aria-current');
    }
  }

  get(threadId: string): ThreadItem | undefined {
    return this.items.get(threadId);
  }

  private async loadMore(): Promise<void> {
    if (this.cursor === null) return;
    this.more.disabled = true;
    try {
      this.append(await this.host.load(this.cursor));
    } catch (error) {
      this.host.failed(error, { key: 'threads:more', run: () => void this.loadMore() });
    } finally {
      this.more.disabled = false;
    }
  }

  private append(page: ThreadPage): void {
    for (const thread of page.threads) {
      if (this.items.has(thread.thread_id)) continue;
      this.items.set(thread.thread_id, thread);
      this.list.append(this.row(thread));
    }
    this.cursor = page.next_cursor;
    show(this.more, this.cursor !== null);
    show(this.empty, this.items.size === 0);
    this.select(this.current);
  }

  private row(thread: ThreadItem): HTMLLIElement {
    const when = new Date(thread.latest_timestamp);
    const turns = thread.run_count === 1 ? '1 turn' : `${thread.run_count} turns`;
    const button = element(
      'button',
      { className: 'thread', attributes: { type: 'button', 'data-thread-id': thread.thread_id } },
      [
        element('span', { className: 'thread-title', text: thread.title }),
        element('span', { className: 'thread-meta' }, [
          element('time', {
            text: dateFormat.format(when),
            attributes: { datetime: when.toISOString() },
          }),
          document.createTextNode(` · ${turns}`),
        ]),
      ],
    );
    if (thread.thread_id === this.current) button.setAttribute('aria-current', 'true');
    button.addEventListener('click', () => this.host.open(thread.thread_id));
    return element('li', {}, [button]);
  }

  private rowOf(threadId: string): HTMLLIElement | undefined {
    for (const row of this.list.children) {
      const button = row.querySelector<HTMLButtonElement>('button[data-thread-id]');
      if (button?.dataset.threadId === threadId && row instanceof HTMLLIElement) return row;
    }
    return undefined;
  }
}
