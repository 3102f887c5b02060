import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { SearchRequestParametersInput } from '../../../shared/contract/search-request-parameters.js';
import type { RequestStatus } from '../../../shared/contract/status.js';
import { AppError } from '../../../shared/kernel/errors.js';

/* The command line of `wm`: which command, its positionals, and the search filter its flags build. */

export class UsageError extends AppError {
  public override readonly name = 'UsageError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

export const USAGE = `wm: the worker manager admin CLI

usage: wm <command> [options]

  requests search [filters] [--size N] [--page N | --cursor C] [--desc] [--all] [--json]
  requests get <requestId> [--json]
  requests retry [filters] [--from F] [--watch]
                                            retry the blocked requests matching the filters (a bulk job);
                                            --from first|<step>: restart workflows from their first or that step
  requests retry <requestId> [--from F] [--watch]
                                            retry one request (refused at once, with the reason, if it cannot)
  requests delete [filters] [--watch]       delete them (ADMIN)
  workers [--content-type T]... [--json]
  config export [--native] [--out FILE]
  config import <FILE> [--native]
  jobs list [--json]
  jobs get <jobId> [--json]
  jobs watch <jobId>                        follow a bulk job to its end, with a progress bar
  health
  dlq [--limit N] [--messages] [--json]     the dead-letter queues: count, oldest, reasons (INSTANCE_ADMIN);
                                            reads the first N messages (default 100) of each and puts them back
  dlq redrive <queue> [--limit N] [--message-id ID]
                                            move dead letters back to their source queue: all (default), N, or those with ID

filters: --status S (repeatable, or S1,S2)  --exclude-status S  --source TEXT  --session TEXT
         --worker-type TEXT  --content-type T (repeatable)  --match STRICT|STARTS_WITH|CONTAINS|ENDS_WITH
         --ignore-case  --exclude-content-type  --after ISO-DATE  --before ISO-DATE  --id N (repeatable)

global:  --url URL (or WM_URL, default http://127.0.0.1:8080)  --token JWT (or WM_TOKEN)
         --tenant T (instance administrators: the tenant to act on)
`;

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  tenant: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  // search
  size: { type: 'string' },
  page: { type: 'string' },
  cursor: { type: 'string' },
  desc: { type: 'boolean' },
  all: { type: 'boolean' },
  // filters
  status: { type: 'string', multiple: true },
  'exclude-status': { type: 'string', multiple: true },
  source: { type: 'string' },
  session: { type: 'string' },
  'worker-type': { type: 'string' },
  'content-type': { type: 'string', multiple: true },
  'exclude-content-type': { type: 'boolean' },
  match: { type: 'string' },
  'ignore-case': { type: 'boolean' },
  after: { type: 'string' },
  before: { type: 'string' },
  id: { type: 'string', multiple: true },
  // jobs, config
  from: { type: 'string' },
  watch: { type: 'boolean' },
  interval: { type: 'string' },
  native: { type: 'boolean' },
  out: { type: 'string' },
  // dlq
  limit: { type: 'string' },
  'message-id': { type: 'string' },
  messages: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

export interface ParsedCommand {
  /** `requests search`, `workers`, `jobs watch`, ... */
  command: string;
  args: string[];
  options: Values;
}

const COMMANDS = new Set([
  'requests search',
  'requests get',
  'requests retry',
  'requests delete',
  'workers',
  'config export',
  'config import',
  'jobs list',
  'jobs get',
  'jobs watch',
  'health',
  'dlq',
  'dlq redrive',
]);
const GROUPS = new Set(['requests', 'config', 'jobs']);

export function parseCommand(argv: readonly string[]): ParsedCommand {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [first, ...rest] = parsed.positionals;
  if (first === undefined || parsed.values.help === true) return { command: 'help', args: [], options: parsed.values };
  // `dlq` is a command of its own (the listing) and the group of `dlq redrive`.
  const grouped = GROUPS.has(first) || (first === 'dlq' && rest[0] === 'redrive');
  const command = grouped ? `${first} ${rest[0] ?? ''}`.trim() : first;
  if (!COMMANDS.has(command)) throw new UsageError(`unknown command "${command}"`);
  if (command === 'dlq' && rest.length > 0) throw new UsageError(`unknown command "dlq ${rest[0] ?? ''}"`);
  return { command, args: grouped ? rest.slice(1) : rest, options: parsed.values };
}

function list(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
}

const MATCH_MODES = ['STRICT', 'STARTS_WITH', 'CONTAINS', 'ENDS_WITH'] as const;

/** The SearchRequestParameters body the filter flags describe; the server validates it. */
export function filterFrom(options: Values): SearchRequestParametersInput {
  const filter: SearchRequestParametersInput = {};
  if (options.source !== undefined) filter.source = options.source;
  if (options.session !== undefined) filter.session = options.session;
  if (options['worker-type'] !== undefined) filter.dispatchedWorkerType = options['worker-type'];
  const included = list(options.status).map((status) => status.toUpperCase());
  const excluded = list(options['exclude-status']).map((status) => status.toUpperCase());
  if (included.length > 0 && excluded.length > 0) throw new UsageError('--status and --exclude-status cannot be combined');
  // Unknown statuses are sent as typed: the server refuses them with the list of valid ones.
  if (included.length > 0) filter.statuses = { mode: 'INCLUDE', values: included as RequestStatus[] };
  if (excluded.length > 0) filter.statuses = { mode: 'EXCLUDE', values: excluded as RequestStatus[] };
  const contentTypes = list(options['content-type']);
  if (contentTypes.length > 0) {
    const match = (options.match ?? 'STRICT').toUpperCase();
    if (!(MATCH_MODES as readonly string[]).includes(match)) throw new UsageError(`--match must be one of ${MATCH_MODES.join(', ')}`);
    filter.contentTypes = {
      mode: options['exclude-content-type'] === true ? 'EXCLUDE' : 'INCLUDE',
      values: contentTypes,
      matchMode: match as (typeof MATCH_MODES)[number],
      ignoreCase: options['ignore-case'] === true,
    };
  } else if (options.match !== undefined || options['ignore-case'] === true || options['exclude-content-type'] === true) {
    throw new UsageError('--match, --ignore-case and --exclude-content-type apply to --content-type');
  }
  const ids = list(options.id);
  if (ids.length > 0) {
    if (ids.some((id) => !/^\d+$/.test(id))) throw new UsageError('--id takes numeric ids (the "id" column), not request ids');
    filter.ids = { mode: 'INCLUDE', values: ids.map(Number) };
  }
  if (options.after !== undefined || options.before !== undefined) {
    filter.creationDate = {
      ...(options.after === undefined ? {} : { after: options.after }),
      ...(options.before === undefined ? {} : { before: options.before }),
    };
  }
  return filter;
}

export function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} takes a whole number`);
  return Number(value);
}

export function requireArg(args: readonly string[], what: string): string {
  const value = args[0];
  if (value === undefined || value === '') throw new UsageError(`missing ${what}`);
  return value;
}
