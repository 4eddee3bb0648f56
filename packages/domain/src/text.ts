/**
 * Characters MedPort refuses in any text a client sends, wherever it arrives:
 * - NUL (U+0000), which PostgreSQL cannot store in text at all;
 * - an unpaired surrogate, which has no UTF-8 form: the database driver would quietly store U+FFFD instead;
 * - every other C0 control character but tab, line feed and carriage return: none belongs in a name, an address or
 *   a note, and they can rewrite what a terminal or a log viewer shows.
 * Odd but valid text (bidirectional marks, joiners, emoji, combining marks) is a field's own business.
 */
const REFUSED_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What refused text is, in one line, for the messages that refuse it. */
export const REFUSED_TEXT_RULE = 'text may not hold NUL, control characters other than tab and line breaks, or unpaired surrogates';

/** The first character of `text` MedPort refuses, described ("a NUL character (U+0000)"), or null. */
export function refusedCharacterIn(text: string): string | null {
  const match = REFUSED_CHARACTER.exec(text);
  if (!match) return null;
  const code = match[0].charCodeAt(0);
  const codePoint = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  if (code === 0) return `a NUL character (${codePoint})`;
  if (code < 0x20) return `a control character (${codePoint})`;
  return `an unpaired surrogate (${codePoint})`;
}

export interface RefusedText {
  /** Where the text sits below the value's own path: `.address.city`, `[0].notes`; empty for the value itself. */
  path: string;
  /** What is wrong with it, as `refusedCharacterIn` says. */
  problem: string;
}

/**
 * The first refused text anywhere in a parsed JSON value: its strings, and the names of its objects' members.
 * Walks without recursion, so a deeply nested value cannot exhaust the stack.
 */
export function findRefusedText(value: unknown): RefusedText | null {
  const pending: [value: unknown, path: string][] = [[value, '']];
  while (pending.length > 0) {
    const [item, path] = pending.pop()!;
    if (typeof item === 'string') {
      const problem = refusedCharacterIn(item);
      if (problem) return { path, problem };
    } else if (Array.isArray(item)) {
      for (let index = item.length - 1; index >= 0; index--) pending.push([item[index], `${path}[${index}]`]);
    } else if (typeof item === 'object' && item !== null) {
      const entries = Object.entries(item);
      for (const [name] of entries) {
        const problem = refusedCharacterIn(name);
        if (problem) return { path, problem: `a member name with ${problem}` };
      }
      for (let index = entries.length - 1; index >= 0; index--) pending.push([entries[index]![1], `${path}.${entries[index]![0]}`]);
    }
  }
  return null;
}
