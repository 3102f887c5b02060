import { benchIntake } from './intake.js';
import { benchRoundtrip } from './roundtrip.js';

/*
 * `npm run bench -- <scenario> [--requests N] [--body BYTES]`. Each scenario prints one JSON line of
 * results (rates and ratios measured side by side in one run) and a one-line summary.
 */

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const SCENARIOS: Record<string, (options: { requests: number; bodyBytes: number }) => Promise<Record<string, unknown>>> = {
  intake: benchIntake,
  roundtrip: benchRoundtrip,
};

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const wanted = process.argv.slice(2).filter((arg, index, all) => !arg.startsWith('--') && !all[index - 1]?.startsWith('--'));
const names = wanted.length > 0 ? wanted : Object.keys(SCENARIOS);
const unknown = names.filter((name) => !(name in SCENARIOS));
if (unknown.length > 0) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  process.exit(2);
}
for (const name of names) {
  const result = await SCENARIOS[name]!({ requests: option('requests', 10_000), bodyBytes: option('body', 512) });
  console.log(JSON.stringify(result));
  console.log(`# ${String(result['summary'])}`);
}
process.exit(0);
