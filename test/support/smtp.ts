import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One message as the SMTP server received it: the envelope, the raw bytes and their parse. */
export interface ReceivedMail {
  envelopeFrom: string | null;
  envelopeTo: string[];
  raw: Buffer;
  parsed: ParsedMail;
}

export interface TestSmtp {
  port: number;
  url: string;
  /** Every message accepted so far, in the order they arrived. */
  messages: ReceivedMail[];
  /** Every client connection so far (also those that sent nothing). */
  connections: number;
  /** Messages whose data has arrived but that are not answered yet (see holdMs). */
  inFlight: number;
  /** How long the server waits before answering the end of a message's data (a slow server); 0 by default. */
  holdMs: number;
  /** Messages whose envelope names `recipient`. */
  to(recipient: string): ReceivedMail[];
  close(): Promise<void>;
}

/** A port nothing listens on right now (the OS picked it free and we let it go). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A real SMTP server on 127.0.0.1 (port 0 = any free one): no authentication, no STARTTLS; it accepts every
 * message and keeps it.
 */
export async function startSmtp(port = 0): Promise<TestSmtp> {
  const state = { connections: 0, inFlight: 0, holdMs: 0 };
  const messages: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 1000,
    onConnect(_session, callback) {
      state.connections += 1;
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error) => callback(error));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        state.inFlight += 1;
        simpleParser(raw)
          .then(async (parsed) => {
            if (state.holdMs > 0) await sleep(state.holdMs);
            state.inFlight -= 1;
            const from = session.envelope.mailFrom;
            messages.push({
              envelopeFrom: from ? from.address : null,
              envelopeTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              raw,
              parsed,
            });
            callback();
          })
          .catch((error: Error) => {
            state.inFlight -= 1;
            callback(error);
          });
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  server.on('error', () => undefined);
  const address = (server.server.address() as AddressInfo).port;
  return {
    port: address,
    url: `smtp://127.0.0.1:${address}`,
    messages,
    get connections() {
      return state.connections;
    },
    get inFlight() {
      return state.inFlight;
    },
    get holdMs() {
      return state.holdMs;
    },
    set holdMs(ms: number) {
      state.holdMs = ms;
    },
    to: (recipient) => messages.filter((message) => message.envelopeTo.includes(recipient)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
