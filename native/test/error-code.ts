/** The `code` of what `f` throws (undefined when it does not throw): both decoders report errors this way. */
export function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}
