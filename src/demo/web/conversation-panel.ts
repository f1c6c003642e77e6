import type { MessageItem, ThreadDetail } from './api.js';
import { byId, element, show } from './dom.js';

/** What the conversation needs from the page. */
export interface ConversationHost {
  /** Rates (`true`, `false`) or clears (`null`) the answer of `runId`; resolves with the stored value. */
  rate(runId: string, sentiment: boolean | null): Promise<boolean | null>;
}

/** An answer being streamed into the conversation. */
export interface StreamingAnswer {
  /** The turn's run is recorded. */
  started(runId: string): void;
  /** A piece of the answer arrived. */
  chunk(text: string): void;
  /** The whole answer, checkpointed: it can be rated. */
  finish(reply: string): void;
  /** The turn failed: the prompt and the partial answer are taken back out. */
  discard(): void;
}

const RATINGS: readonly { value: boolean | null; label: string; text: string }[] = [
  { value: true, label: 'Good answer', text: '▲ Good' },
  { value: false, label: 'Bad answer', text: '▼ Bad' },
  { value: null, label: 'Clear the rating', text: 'Clear' },
];

/** The open conversation: its messages from the checkpointed state, each answer rateable. */
export class ConversationPanel {
  private readonly messages = byId('messages', HTMLOListElement);
  private readonly title = byId('conversation-title', HTMLHeadingElement);
  private readonly placeholder = byId('conversation-empty', HTMLParagraphElement);
  private readonly status = byId('conversation-status', HTMLParagraphElement);
  private sentiments = new Map<string, boolean | null>();

  constructor(private readonly host: ConversationHost) {}

  /** Shows a thread as the server has it. */
  render(thread: ThreadDetail): void {
    this.title.textContent = thread.title;
    this.sentiments = new Map(thread.runs.map((run) => [run.run_id, run.sentiment]));
    this.messages.replaceChildren(...thread.messages.map((message) => this.bubble(message)));
    show(this.placeholder, thread.messages.length === 0);
    this.placeholder.textContent = 'No messages yet: say something below.';
    this.scrollToEnd();
  }

  /** Nothing open. */
  clear(note = 'Pick a conversation, or start a new one.'): void {
    this.title.textContent = 'No conversation open';
    this.messages.replaceChildren();
    this.sentiments.clear();
    this.placeholder.textContent = note;
    show(this.placeholder, true);
  }

  retitle(title: string): void {
    this.title.textContent = title;
  }

  /** Adds the prompt and an empty answer that `StreamingAnswer` fills as the turn streams. */
  beginTurn(prompt: string): StreamingAnswer {
    show(this.placeholder, false);
    const asked = this.bubble({ role: 'user', content: prompt, run_id: null });
    const answer = this.bubble({ role: 'assistant', content: '', run_id: null });
    const text = answer.querySelector<HTMLElement>('.message-text');
    if (text === null) throw new Error('an answer bubble has no text');
    answer.setAttribute('aria-busy', 'true');
    answer.dataset.streaming = 'true';
    answer.dataset.chunks = '0';
    this.messages.append(asked, answer);
    this.status.textContent = 'The assistant is answering…';
    this.scrollToEnd();
    return {
      started: (runId) => {
        asked.dataset.runId = runId;
        answer.dataset.runId = runId;
      },
      chunk: (piece) => {
        text.textContent = (text.textContent ?? '') + piece;
        answer.dataset.chunks = String(Number(answer.dataset.chunks) + 1);
        this.scrollToEnd();
      },
      finish: (reply) => {
        text.textContent = reply;
        answer.removeAttribute('aria-busy');
        delete answer.dataset.streaming;
        const runId = answer.dataset.runId;
        if (runId !== undefined) {
          this.sentiments.set(runId, null);
          answer.append(this.ratings(runId));
        }
        this.status.textContent = 'Answer received.';
      },
      discard: () => {
        asked.remove();
        answer.remove();
        this.status.textContent = '';
        show(this.placeholder, this.messages.children.length === 0);
      },
    };
  }

  private bubble(message: MessageItem): HTMLLIElement {
    const who = message.role === 'user' ? 'You' : 'Assistant';
    const item = element('li', { className: `message ${message.role}` }, [
      element('span', { className: 'message-author', text: who }),
      element('p', { className: 'message-text', text: message.content }),
    ]);
    if (message.run_id !== null) item.dataset.runId = message.run_id;
    if (message.role === 'assistant' && message.run_id !== null) {
      item.append(this.ratings(message.run_id));
    }
    return item;
  }

  private ratings(runId: string): HTMLElement {
    const group = element('div', {
      className: 'ratings',
      attributes: { role: 'group', 'aria-label': 'Rate this answer' },
    });
    const buttons = RATINGS.map(({ value, label, text }) => {
      const button = element('button', {
        className: 'rating',
        text,
        attributes: { type: 'button', 'aria-label': label, 'data-rating': String(value) },
      });
      button.addEventListener('click', () => void this.rate(runId, value, buttons));
      return button;
    });
    group.append(...buttons);
    this.reflect(runId, buttons);
    return group;
  }

  private async rate(runId: string, value: boolean | null, buttons: HTMLButtonElement[]) {
    for (const button of buttons) button.disabled = true;
    try {
      this.sentiments.set(runId, await this.host.rate(runId, value));
    } catch {
      // The host told the user; the buttons show the rating as it was.
    } finally {
      for (const button of buttons) button.disabled = false;
      this.reflect(runId, buttons);
    }
  }

  /** `aria-pressed` on the stored rating's button; "Clear" only when there is one. */
  private reflect(runId: string, buttons: HTMLButtonElement[]): void {
    const stored = this.sentiments.get(runId) ?? null;
    for (const button of buttons) {
      const value = button.dataset.rating;
      if (value === 'null') {
        button.disabled = stored === null;
        continue;
      }
      button.setAttribute('aria-pressed', String(value === String(stored)));
    }
  }

  private scrollToEnd(): void {
    this.messages.lastElementChild?.scrollIntoView({ block: 'nearest' });
  }
}
