import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

// Dev mode's mailbox: an SMTP server on loopback that prints every message it receives.

export async function startMailSink(port: number, print: (text: string) => void): Promise<{ stop(): Promise<void> }> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const to = session.envelope.rcptTo.map((r) => r.address).join(', ');
          print(`To: ${to}\nSubject: ${mail.subject ?? ''}\n\n${(mail.text ?? '').trim()}\n`);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return { stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
