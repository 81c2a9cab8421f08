/** A promise that settles after `ms` milliseconds, under any runtime (Bun.sleep is Bun's only). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
