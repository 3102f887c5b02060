import { vi } from 'vitest';

/**
 * The JSON lines written to stdout and stderr while `act` runs (a logger may write warnings and
 * errors to stderr), parsed; nothing reaches the terminal meanwhile.
 */
export async function jsonLinesWrittenBy(act: () => unknown): Promise<Record<string, unknown>[]> {
  const written: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  };
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    await act();
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return written.map((line) => JSON.parse(line) as Record<string, unknown>);
}
