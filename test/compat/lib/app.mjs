import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { tail } from './shell.mjs';

/** A free TCP port on the loopback interface. */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = /** @type {net.AddressInfo} */ (server.address());
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One HTTP exchange; the body is parsed as JSON when it is JSON. Never hangs (10 s). */
export async function http(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed };
}

/**
 * A fixture application running as `node <entry>` in its own process, with only the environment
 * given (no inherited PG* or DATABASE_URL can change what it connects to), its output in `logFile`.
 */
export class AppProcess {
  /** Output so far, for the secret check and for failure reports. */
  output = '';

  /** @param {import('node:child_process').ChildProcess} child @param {number} port */
  constructor(child, port) {
    this.child = child;
    this.port = port;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Starts `entry` in `cwd`; `ready()` waits for it. */
  static async spawn({ cwd, entry, env, logFile }) {
    const port = await freePort();
    const child = spawn(process.execPath, [entry], {
      cwd,
      env: { PATH: process.env.PATH, NO_COLOR: '1', PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const app = new AppProcess(child, port);
    const log = createWriteStream(logFile, { flags: 'a' });
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        app.output += chunk;
        log.write(chunk);
      });
    }
    app.exited.then(() => log.end());
    return app;
  }

  url(path) {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  request(method, path, body) {
    return http(method, this.url(path), body);
  }

  /** Sends `signal` and waits for the exit (15 s, then SIGKILL and an error). */
  async stop(signal = 'SIGTERM') {
    this.child.kill(signal);
    const exit = await Promise.race([this.exited, sleep(15_000).then(() => undefined)]);
    if (exit !== undefined) return exit;
    this.child.kill('SIGKILL');
    await this.exited;
    throw new Error(`did not exit within 15 s of ${signal}`);
  }

  /** Kills the process if it is still running (cleanup after a failed check). */
  async kill() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** Waits until `GET /health/ready` answers 200 (30 s at most; then kills it and throws). */
  async ready() {
    const deadline = Date.now() + 30_000;
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        const exit = this.child.exitCode ?? this.child.signalCode;
        throw new Error(`exited during boot (${exit}); its output ends:\n${tail(this.output, 15)}`);
      }
      try {
        const { status } = await this.request('GET', '/health/ready');
        if (status === 200) return;
        last = `/health/ready answered ${status}`;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await sleep(250);
    }
    await this.kill();
    throw new Error(`not ready within 30 s (${last}); its output ends:\n${tail(this.output, 15)}`);
  }
}
