import net from 'node:net';

/** How the fake server refuses every connection. */
export interface Refusal {
  /** SQLSTATE of the FATAL ErrorResponse, e.g. `28P01`. */
  readonly code: string;
  readonly message: string;
  /**
   * Ask for a cleartext password first (AuthenticationCleartextPassword), as a server with
   * `password` auth does before it answers 28P01; the password received is kept in `passwords`.
   */
  readonly askPassword?: boolean;
  /**
   * Ask for SCRAM-SHA-256 instead (AuthenticationSASL, then a server-first-message), as a server
   * with `scram-sha-256` auth does: a client with no password gives up there, before any refusal.
   */
  readonly askScram?: boolean;
}

/** The protocol 3.0 startup code, and the SSLRequest / GSSENCRequest codes that may precede it. */
const PROTOCOL_3 = 196_608;
const SSL_REQUEST = 80_877_103;
const GSSENC_REQUEST = 80_877_104;

/**
 * A PostgreSQL server that speaks just enough of the wire protocol (startup, optional cleartext
 * password, ErrorResponse) to refuse every connection with a chosen SQLSTATE: how the tests get a
 * real 28P01 or 28000 from pg while the test server trusts everyone.
 *
 * @example
 * const server = await FakePostgres.start({ code: '28P01', message: 'password authentication failed for user "app"', askPassword: true });
 * // connect to 127.0.0.1:server.port ...; server.startups counts the attempts
 * await server.close();
 */
export class FakePostgres {
  /** Startup messages received: one per connection attempt. */
  startups = 0;
  /** Passwords clients sent, in order. */
  readonly passwords: string[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly scramStarted = new WeakSet<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    private readonly refusal: Refusal,
  ) {}

  static async start(refusal: Refusal): Promise<FakePostgres> {
    const server = net.createServer();
    const fake = new FakePostgres(server, refusal);
    server.on('connection', (socket) => fake.serve(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let started = false;
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        // Before startup, messages have no type byte: Int32 length (itself included), Int32 code.
        const typed = started ? 1 : 0;
        if (buffered.length < typed + 4) return;
        const length = buffered.readInt32BE(typed) + typed;
        if (buffered.length < length) return;
        const message = buffered.subarray(0, length);
        buffered = buffered.subarray(length);
        if (!started) {
          const code = message.readInt32BE(4);
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
            socket.write('N'); // no TLS here: the client continues in plain text
          } else if (code === PROTOCOL_3) {
            started = true;
            this.startups += 1;
            if (this.refusal.askScram === true) socket.write(authenticationSasl());
            else if (this.refusal.askPassword === true) {
              socket.write(authenticationCleartextPassword());
            } else this.refuse(socket);
          }
        } else if (message[0] === 'p'.charCodeAt(0) && this.refusal.askScram === true) {
          // SASLInitialResponse: answer with a server-first-message; a client with a password
          // would send its proof next, which this fake refuses like a wrong one.
          if (this.scramStarted.has(socket)) this.refuse(socket);
          else {
            this.scramStarted.add(socket);
            socket.write(authenticationSaslContinue('r=fakenonce,s=c2FsdA==,i=4096'));
          }
        } else if (message[0] === 'p'.charCodeAt(0)) {
          this.passwords.push(message.subarray(5, message.length - 1).toString('utf8'));
          this.refuse(socket);
        }
      }
    });
  }

  private refuse(socket: net.Socket): void {
    socket.end(errorResponse(this.refusal.code, this.refusal.message));
  }
}

function authenticationCleartextPassword(): Buffer {
  const message = Buffer.alloc(9);
  message.write('R', 0);
  message.writeInt32BE(8, 1);
  message.writeInt32BE(3, 5);
  return message;
}

/** AuthenticationSASL offering SCRAM-SHA-256: code 10, the mechanisms, an empty name to end. */
function authenticationSasl(): Buffer {
  const mechanisms = Buffer.from('SCRAM-SHA-256\0\0', 'utf8');
  const message = Buffer.alloc(9);
  message.write('R', 0);
  message.writeInt32BE(8 + mechanisms.length, 1);
  message.writeInt32BE(10, 5);
  return Buffer.concat([message, mechanisms]);
}

/** AuthenticationSASLContinue (code 11) carrying `data`. */
function authenticationSaslContinue(data: string): Buffer {
  const payload = Buffer.from(data, 'utf8');
  const message = Buffer.alloc(9);
  message.write('R', 0);
  message.writeInt32BE(8 + payload.length, 1);
  message.writeInt32BE(11, 5);
  return Buffer.concat([message, payload]);
}

/** A FATAL ErrorResponse: severity, SQLSTATE and message fields, then the terminator. */
function errorResponse(code: string, text: string): Buffer {
  const fields = Buffer.concat([
    field('S', 'FATAL'),
    field('V', 'FATAL'),
    field('C', code),
    field('M', text),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

function field(type: string, value: string): Buffer {
  return Buffer.concat([Buffer.from(type), Buffer.from(value, 'utf8'), Buffer.from([0])]);
}
