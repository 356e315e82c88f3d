/** A value built once per process on first use; a failed build is retried on the next call (cold-start wiring). */
export function once<T>(build: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= build().catch((err) => {
      value = undefined;
      throw err;
    });
    return value;
  };
}
