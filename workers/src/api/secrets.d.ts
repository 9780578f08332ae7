// Settings the API reads that wrangler.toml does not declare: secrets set with
// `wrangler secret put`, and vars that `npm start` passes with `--var`.
declare global {
  interface Env {
    /** The previous token-signing secret, still accepted while a rotation settles. */
    TOKEN_SECRET_PREVIOUS?: string;
    /** `npm start`: the local webhook receiver the demo topic's webhook subscription targets. */
    DEMO_WEBHOOK_URL?: string;
    /** `npm start`: the signing secret of that subscription, shared with the receiver. */
    DEMO_WEBHOOK_SECRET?: string;
  }
}

export {};
