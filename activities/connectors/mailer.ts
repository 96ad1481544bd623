import nodemailer, { type Transporter } from 'nodemailer';

// SMTP through nodemailer. The organisation's sender comes from configuration.

export interface MailSettings {
  smtpUrl: string;
  from: string;
}

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** Stable per task, so a resent message can be recognised as the same one. */
  messageId: string;
  locale?: string;
}

/** The server refused the message for good (5xx): retrying will not help. */
export class MailRejectedError extends Error {
  constructor(
    message: string,
    readonly responseCode: number,
  ) {
    super(message);
    this.name = 'MailRejectedError';
  }
}

export class Mailer {
  private readonly transport: Transporter;

  constructor(readonly settings: MailSettings) {
    this.transport = nodemailer.createTransport(settings.smtpUrl, { from: settings.from });
  }

  async send(mail: OutgoingMail): Promise<string> {
    try {
      const info = await this.transport.sendMail({
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        messageId: mail.messageId,
        headers: mail.locale ? { 'Content-Language': mail.locale } : {},
      });
      return info.messageId;
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode;
      if (code !== undefined && code >= 500) throw new MailRejectedError((error as Error).message, code);
      throw error;
    }
  }

  close(): void {
    this.transport.close();
  }
}
