import { startMailSink, type ReceivedMail } from '../../scripts/mail-sink';
import { freePort } from '../../scripts/ports';

// A real SMTP server on loopback that keeps every message it receives, parsed.

export type { ReceivedMail };

export async function startSmtpSink() {
  const messages: ReceivedMail[] = [];
  const port = await freePort();
  const sink = await startMailSink(port, (mail) => messages.push(mail));
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    to: (address: string) => messages.filter((m) => m.to.includes(address)),
    stop: sink.stop,
  };
}
