/**
 * Whose outbox this tab writes and shows: the subject of the token in hand. It is learned from
 * the token asked for at start and from every drain's, and stored, so a start without network
 * still knows it; a sign-out, here or in another tab, forgets it.
 */

import { ErrandError } from "@errand/core";
import type { OutboxStore } from "../stores/outbox-store.ts";
import type { TokenSource } from "../transport/token-source.ts";
import { within } from "../utils/abortable-wait.ts";

/**
 * How long an enqueue waits for a token to name the subject when one is stored: a token call
 * stalled on a bad network must not hold it, since nothing is committed while it waits and a
 * tab closed meanwhile loses the task.
 */
const STORED_SUBJECT_WAIT_MS = 1_000;

/** The signed-in subject of one sync. */
export class EdgeSubject {
  readonly #store: OutboxStore;
  readonly #tokens: TokenSource;
  #subject: string | undefined;
  #lastSubject: string | undefined;
  /**
   * The subject of the token asked for at start; enqueues wait for it before trusting the stored
   * one, for at most {@link STORED_SUBJECT_WAIT_MS} when there is one.
   */
  readonly #atStart: Promise<void>;

  /** Asks for a token at once; `stored` is the subject the outbox store last recorded. */
  constructor(store: OutboxStore, tokens: TokenSource, stored: string | undefined) {
    this.#store = store;
    this.#tokens = tokens;
    this.#lastSubject = stored;
    // Whoever signs in now decides whose outbox new tasks join; the stored subject is only the
    // fallback for a start without network.
    this.#atStart = tokens.get().then(
      (token) => this.learn(token.subject),
      () => {},
    );
  }

  /** Records `subject` as the signed-in one (a token named it). */
  async learn(subject: string): Promise<void> {
    if (subject === this.#subject) return;
    this.#subject = subject;
    await this.#store.setLastSubject(subject);
  }

  /**
   * The subject new edge tasks and requests belong to: the signed-in one, asked for if need be,
   * else the last one that signed in.
   *
   * @throws {ErrandError} `signed_out` when no subject is known yet (never signed in, or signed out).
   */
  async current(): Promise<string> {
    const startAnswered = await this.#waitForToken(this.#atStart);
    if (this.#subject !== undefined) return this.#subject;
    // The start-up call still stalling, a new ask would get that same call (the token source
    // shares a call in flight) and wait for it again: fall back at once.
    const asked = startAnswered ? await this.#ask() : undefined;
    const subject = asked ?? this.#lastSubject ?? (await this.#store.lastSubject());
    if (subject === undefined) {
      throw new ErrandError(
        "signed_out",
        "No signed-in subject: edge tasks need a token once before going offline",
        {
          retryable: true,
        },
      );
    }
    this.#subject = subject;
    await this.#store.setLastSubject(subject);
    return subject;
  }

  /**
   * The subject whose edge tasks this tab shows: once the token asked for at start named it (or
   * that call stalled or failed), the signed-in one, else the last one that signed in.
   */
  async known(): Promise<string | undefined> {
    await this.#waitForToken(this.#atStart);
    return this.#subject ?? this.#lastSubject ?? (await this.#store.lastSubject());
  }

  /** Forgets the subject and its token (another tab signed out). */
  forget(): void {
    this.#tokens.clear();
    this.#subject = undefined;
    this.#lastSubject = undefined;
  }

  /** Forgets the subject here and in storage; resolves with the one that was signed in. */
  async signOut(): Promise<string | undefined> {
    const subject = this.#subject ?? (await this.#store.lastSubject());
    this.forget();
    await this.#store.setLastSubject(undefined);
    return subject;
  }

  /** Asks for a token; its subject, or undefined when it failed or stalls past the wait. */
  async #ask(): Promise<string | undefined> {
    const asked = this.#tokens.get().then(
      (token) => token.subject,
      () => undefined,
    );
    return (await this.#waitForToken(asked)) ? await asked : undefined;
  }

  /**
   * Waits for a token call; only {@link STORED_SUBJECT_WAIT_MS} when a subject is stored to fall
   * back on (the call's own deadline bounds it otherwise). Resolves with whether it answered; a
   * call that failed rejects, as the start-up call does when storing its subject failed (a full
   * disk must reach the caller, not pass for a missing token).
   */
  async #waitForToken(call: Promise<unknown>): Promise<boolean> {
    const answered =
      this.#lastSubject === undefined ||
      (await within(
        call.then(
          () => true,
          () => true,
        ),
        STORED_SUBJECT_WAIT_MS,
        false,
      ));
    if (answered) await call;
    return answered;
  }
}
