import nodemailer from 'nodemailer';
import type { Config } from './config.js';

/** The SMTP transport both processes send through: the worker's notifications, the API's health check. */
export function createMailer(config: Config) {
  return nodemailer.createTransport({
    host: config.SMTP_HOST,
    port: config.SMTP_PORT,
    secure: config.SMTP_SECURE,
    ...(config.SMTP_USER ? { auth: { user: config.SMTP_USER, pass: config.SMTP_PASSWORD ?? '' } } : {}),
    // A stalled server must fail the attempt so that Temporal retries it, rather than hold the activity.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
}
