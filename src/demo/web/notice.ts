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

/**
 * The page's one alert region: a message in words, and for failures worth trying again a
 * countdown that tries by itself (after the server's `Retry-After`) and a "Retry now" button.
 */
export class Notice {
  private readonly region = byId('notice', HTMLDivElement);
  private readonly text = byId('notice-text', HTMLParagraphElement);
  private readonly countdown = byId('notice-countdown', HTMLParagraphElement);
  private readonly retryButton = byId('notice-retry', HTMLButtonElement);
  private readonly dismissButton = byId('notice-dismiss', HTMLButtonElement);
  private timer: number | undefined;
  private retry: (() => void) | undefined;

  constructor() {
    this.retryButton.addEventListener('click', () => this.retryNow());
    this.dismissButton.addEventListener('click', () => this.hide());
  }

  /** Shows `message`; with `retry`, tries it again after `seconds` unless told sooner. */
  show(message: string, retry?: { seconds: number; action: () => void }): void {
    this.stop();
    this.text.textContent = message;
    this.region.dataset.kind = retry === undefined ? 'error' : 'retrying';
    show(this.retryButton, retry !== undefined);
    show(this.countdown, retry !== undefined);
    show(this.region, true);
    if (retry === undefined) return;
    this.retry = retry.action;
    let left = Math.max(1, Math.ceil(retry.seconds));
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

  /** Shows what `error` means, retrying `action` when the failure says to. */
  explain(error: unknown, action?: () => void): Explanation {
    const explanation = explain(error);
    const seconds = explanation.retryAfterSeconds;
    this.show(
      explanation.message,
      seconds === undefined || action === undefined ? undefined : { seconds, action },
    );
    return explanation;
  }

  hide(): void {
    this.stop();
    show(this.region, false);
  }

  private retryNow(): void {
    const action = this.retry;
    this.hide();
    action?.();
  }

  private stop(): void {
    if (this.timer !== undefined) window.clearTimeout(this.timer);
    this.timer = undefined;
    this.retry = undefined;
  }
}
