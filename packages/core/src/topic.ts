/** Topic names and the `*` patterns that API keys and client tokens grant topics by. */

const TOPIC_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const TOPIC_PREFIX = /^(?:[a-z0-9][a-z0-9._-]{0,63})?\*$/;

/** Whether `s` is a topic name: 1 to 64 characters from `[a-z0-9._-]`, starting with a letter or digit. */
export function isTopicName(s: unknown): s is string {
  return typeof s === "string" && TOPIC_NAME.test(s);
}

/**
 * Whether `s` is a topic pattern: a topic name (itself only) or a prefix of one followed by `*`
 * (every topic starting with the prefix; `*` alone is every topic).
 */
export function isTopicPattern(s: unknown): s is string {
  return typeof s === "string" && (TOPIC_NAME.test(s) || TOPIC_PREFIX.test(s));
}

/**
 * Whether `topic` is granted by `pattern`: equal to it, or starting with what precedes a
 * trailing `*`. `demo.*` matches `demo.resize` but not `demo` itself.
 *
 * @example
 * ```ts
 * topicMatches("demo.*", "demo.resize") // true
 * topicMatches("demo.*", "demos") // false
 * ```
 */
export function topicMatches(pattern: string, topic: string): boolean {
  return pattern.endsWith("*") ? topic.startsWith(pattern.slice(0, -1)) : pattern === topic;
}
