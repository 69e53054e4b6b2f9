import pg from 'pg';

/** How long a lost LISTEN session waits before it connects again. */
const RECONNECT_MS = 1_000;

/**
 * One LISTEN session per process on this schema's audit channel, opened on first use. A session
 * that drops is opened again and every listener is called once, so followers read what they missed
 * from the log (notifications are only a wake-up; the log is the source).
 */
export class AuditNotifications {
  private readonly listeners = new Set<() => void>();
  private session: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(private readonly url: string) {}

  async add(listener: () => void): Promise<() => Promise<void>> {
    const own = () => listener();
    this.listeners.add(own);
    await this.connect();
    return async () => void this.listeners.delete(own);
  }

  private connect(): Promise<void> {
    if (this.session || this.closed) return Promise.resolve();
    this.connecting ??= this.open().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async open(): Promise<void> {
    const session = new pg.Client({ connectionString: this.url });
    const lost = () => {
      if (this.session !== session) return;
      this.session = null;
      session.end().catch(() => undefined);
      if (!this.closed) this.retry = setTimeout(() => void this.reopen(), RECONNECT_MS);
    };
    session.on('error', lost);
    session.on('end', lost);
    session.on('notification', () => this.wake());
    await session.connect();
    const { rows } = await session.query<{ schema: string }>('SELECT current_schema() AS schema');
    await session.query(`LISTEN ${session.escapeIdentifier(`modelgate_audit:${rows[0]!.schema}`)}`);
    this.session = session;
  }

  private async reopen(): Promise<void> {
    this.retry = null;
    try {
      await this.connect();
      this.wake();
    } catch {
      if (!this.closed) this.retry = setTimeout(() => void this.reopen(), RECONNECT_MS);
    }
  }

  private wake(): void {
    for (const listener of this.listeners) listener();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.listeners.clear();
    await this.connecting?.catch(() => undefined);
    const session = this.session;
    this.session = null;
    await session?.end().catch(() => undefined);
  }
}
