import { ApiError, NetworkError } from './api.js';
import { byId, show } from './dom.js';

/** An error, in words, with what the page should do about it. */
export interface Explanation {
  readonly message: string;
  /** Try the same action again after this many seconds (the server's `Retry-After`). */
  readonly retryAfterSeconds?: number;
  /** The token is refused: back to the sign-in form. */
  readonly signOut?: boolean;
  /** The conversation is gone for this user (deleted, or never theirs). */
  readonly threadGone?: boolean;
}

/** Seconds to wait before trying again when the server cannot be reached at all. */
const UNREACHABLE_RETRY_SECONDS = 5;

/** What a failure means to the person using the page. */
export function explain(error: unknown): Explanation {
  if (error instanceof NetworkError) {
    return {
      message: error.afterStart
        ? 'The connection to the server broke while the answer arrived.'
        : 'The server cannot be reached (is it running?).',
      retryAfterSeconds: UNREACHABLE_RETRY_SECONDS,
    };
  }
  if (!(error instanceof ApiError)) {
    return { message: `Something went wrong in this page: ${String(error)}` };
  }
  const said = error.body === undefined ? '' : [error.body.message].flat().join('; ');
  switch (error.status) {
    case 401:
      return {
        message: 'Your session has expired or is no longer valid. Please sign in again.',
        signOut: true,
      };
    case 404:
      return { message: 'This conversation does not exist, or it is not yours.', threadGone: true };
    case 410:
      return { message: 'This conversation was deleted.', threadGone: true };
    case 409:
      return error.retryAfterSeconds === undefined
        ? { message: `The server refused this: ${said}` }
        : {
            message: 'This conversation is busy answering another message.',
            retryAfterSeconds: error.retryAfterSeconds,
          };
    case 422:
      return { message: `This conversation has reached a limit: ${said}` };
    case 503:
      return {
        message: 'The database is unavailable right now.',
        retryAfterSeconds: error.retryAfterSeconds ?? 2,
      };
    case 400:
    case 413:
      return { message: `The server refused this: ${said}` };
    case 500:
      return { message: 'Something went wrong on the server. Please try again later.' };
    default:
      return { message: `The server answered with an error (HTTP ${error.status}): ${said}` };
  }
}

/** An action to try again, by name: one per name is kept, the latest. */
export interface Retry {
  /** What it is (`turn:<runId>`, `thread:<id>`, ...): trying the same thing twice is once. */
  readonly key: string;
  readonly run: () => void;
  /** Called instead of `run` when the user dismisses the notice (to give a prompt back). */
  readonly cancel?: () => void;
}

/**
 * The page's one alert region: a message in words and, while failures worth trying again are
 * pending, a countdown that tries them all by itself (after the server's `Retry-After`) and a
 * "Retry now" button. Several can be pending at once (a turn and a reload that failed in the
 * same outage): none is forgotten because another failed after it.
 */
export class Notice {
  private readonly region = byId('notice', HTMLDivElement);
  private readonly text = byId('notice-text', HTMLParagraphElement);
  private readonly countdown = byId('notice-countdown', HTMLParagraphElement);
  private readonly retryButton = byId('notice-retry', HTMLButtonElement);
  private readonly dismissButton = byId('notice-dismiss', HTMLButtonElement);
  private readonly pending = new Map<string, Retry>();
  private timer: number | undefined;

  constructor() {
    this.retryButton.addEventListener('click', () => this.retryNow());
    this.dismissButton.addEventListener('click', () => this.dismiss());
  }

  /** Shows `message`; with `retry`, tries it again after `seconds` (with any others pending). */
  show(message: string, retry?: Retry & { readonly seconds: number }): void {
    this.text.textContent = message;
    show(this.region, true);
    if (retry !== undefined) {
      this.pending.set(retry.key, retry);
      this.countDown(retry.seconds);
    }
    this.region.dataset.kind = this.pending.size === 0 ? 'error' : 'retrying';
    show(this.retryButton, this.pending.size > 0);
    show(this.countdown, this.pending.size > 0);
  }

  /** Shows what `error` means, trying `retry` again when the failure says to. */
  explain(error: unknown, retry?: Retry): Explanation {
    const explanation = explain(error);
    const seconds = explanation.retryAfterSeconds;
    this.show(
      explanation.message,
      seconds === undefined || retry === undefined ? undefined : { ...retry, seconds },
    );
    return explanation;
  }

  /** Something worked: the message goes, unless tries are still pending. */
  hide(): void {
    if (this.pending.size === 0) show(this.region, false);
  }

  /** Forgets everything pending (a sign-out): nothing is tried again, nothing given back. */
  reset(): void {
    this.stop();
    this.pending.clear();
    show(this.region, false);
  }

  private countDown(seconds: number): void {
    this.stop();
    let left = Math.max(1, Math.ceil(seconds));
    const tick = () => {
      if (left <= 0) {
        this.retryNow();
        return;
      }
      this.countdown.textContent = `Trying again in ${left} s…`;
      left -= 1;
      this.timer = window.setTimeout(tick, 1000);
    };
    tick();
  }

  private retryNow(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    this.stop();
    show(this.region, false);
    for (const retry of due) retry.run();
  }

  private dismiss(): void {
    const dropped = [...this.pending.values()];
    this.reset();
    for (const retry of dropped) retry.cancel?.();
  }

  private stop(): void {
    if (this.timer !== undefined) window.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
