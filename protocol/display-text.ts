/**
 * Characters a name shown to someone else must not contain: C0/C1 control characters (ANSI escapes rewrite a
 * terminal, newlines forge log lines) and the bidirectional embedding, override and isolate controls, which
 * reorder how the rest is displayed ("Trojan Source", CVE-2021-42574). Everything else is allowed and escaped
 * by whatever displays it. Shared by the gateway (customer names in `join`, technician display names) and the
 * clients; no Node APIs.
 */
const unsafe = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

/** Text from a peer or the command line with its control characters as '?', at most 100 characters, for a terminal. */
export function printable(s: string): string {
  return s.replace(/\p{Cc}/gu, '?').slice(0, 100);
}

/** Null when `text` is safe to store and list, else what is wrong with it (for an error message). */
export function displayTextProblem(text: string): string | null {
  const m = unsafe.exec(text);
  if (!m) return null;
  const code = m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return `must not contain control characters (found U+${code})`;
}
