import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/*
 * Broker faults that touch only what a test owns: the shared broker's connections are closed one by
 * one, chosen by their client-given name (unique to this process), never all; a broker stop and
 * start happens on a private RabbitMQ node the test starts in a temporary folder and tears down.
 */

const run = promisify(execFile);

/** Closes the shared broker's connections whose name `matches`; returns how many were closed. */
export async function closeConnections(matches: (name: string) => boolean, reason = 'fault test: connection closed mid-load', vhost = '/'): Promise<number> {
  // The client-given name is in client_properties ({"connection_name","..."}); `name` is the address.
  const { stdout } = await run('rabbitmqctl', ['list_connections', '-q', '--no-table-headers', 'pid', 'vhost', 'client_properties'], { timeout: 20_000 });
  const mine: string[] = [];
  for (const line of stdout.split('\n')) {
    const [pid, connectionVhost, properties] = line.split('\t');
    const name = /\{"connection_name","((?:[^"\\]|\\.)*)"\}/.exec(properties ?? '')?.[1];
    if (pid && connectionVhost === vhost && name !== undefined && matches(name)) mine.push(pid.trim());
  }
  const done = await Promise.all(
    mine.map((pid) =>
      run('rabbitmqctl', ['close_connection', pid, reason], { timeout: 20_000 }).then(
        () => true,
        () => false,
      ),
    ),
  );
  return done.filter(Boolean).length;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

// The server's own scripts, not the packaged wrapper (which switches user and resets the environment).
const SCRIPTS = process.env['RABBITMQ_SCRIPTS_DIR'] ?? '/usr/lib/rabbitmq/bin';
const SERVER = join(SCRIPTS, 'rabbitmq-server');
const CTL = join(SCRIPTS, 'rabbitmqctl');

export interface PrivateNode {
  url: string;
  node: string;
  stopApp(): Promise<void>;
  startApp(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A RabbitMQ node of its own (name, ports, data, logs, Erlang cookie in a temp folder, no
 * plugins), started from the installed server's scripts without the service wrapper. Fails when it
 * does not accept AMQP within `startTimeoutMs`.
 */
export async function startPrivateNode(startTimeoutMs = 20_000): Promise<PrivateNode> {
  const dir = await mkdtemp(join(tmpdir(), 'wmfault-'));
  const [port, distPort] = [await freePort(), await freePort()];
  const node = `wmfault${process.pid}@localhost`;
  await writeFile(join(dir, 'enabled_plugins'), '[].\n');
  const env = {
    ...process.env,
    HOME: dir,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
  };
  const ctl = async (...args: string[]) => {
    await run(CTL, ['-n', node, ...args], { env, timeout: 60_000 });
  };
  let output = '';
  const child: ChildProcess = spawn(SERVER, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    await ctl('stop').catch(() => undefined);
    if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + startTimeoutMs;
  while (!(await portOpen(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await close();
      throw new Error(`private RabbitMQ node did not open port ${port} within ${startTimeoutMs} ms:\n${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    node,
    stopApp: () => ctl('stop_app'),
    startApp: () => ctl('start_app'),
    close,
  };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
