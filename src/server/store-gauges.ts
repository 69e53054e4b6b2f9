import { Gauge, type Registry } from 'prom-client';
import { ApprovalStatus, type GatewayStore } from '../store/index.ts';

const PAGE = 200;

/** `modelgate_approval_requests_open{registry}`: pending requests not past their expiry, counted at scrape. */
export function openApprovalsCollector(registry: Registry, store: GatewayStore): void {
  new Gauge({
    name: 'modelgate_approval_requests_open',
    help: 'Approval requests waiting for a decision (pending and not expired), by registry',
    labelNames: ['registry'] as const,
    registers: [registry],
    async collect() {
      const now = Date.now();
      const open = new Map<string, number>();
      for (let before: { requestedAt: Date; id: string } | null = null; ; ) {
        const page = await store.listApprovals({ status: ApprovalStatus.PENDING, limit: PAGE, before });
        for (const request of page) {
          if (request.expiresAt && request.expiresAt.getTime() <= now) continue;
          open.set(request.registry, (open.get(request.registry) ?? 0) + 1);
        }
        if (page.length < PAGE) break;
        const last = page[page.length - 1]!;
        before = { requestedAt: last.requestedAt, id: last.id };
      }
      this.reset();
      for (const [id, count] of open) this.set({ registry: id }, count);
    },
  });
}

/** `modelgate_audit_chain_intact` and friends: the hash chain walked at scrape, at most once per `intervalMs` (a scrape in between reports the last walk). */
export function auditChainCollector(registry: Registry, store: GatewayStore, intervalMs: number): void {
  let last: { at: number; intact: boolean; events: number; broken: number } | null = null;
  let walking: Promise<void> | null = null;
  const refresh = async () => {
    if (last && Date.now() - last.at < intervalMs) return;
    walking ??= store
      .verifyAudit()
      .then((result) => void (last = { at: Date.now(), intact: result.ok, events: result.checked, broken: result.broken.length }))
      .finally(() => (walking = null));
    await walking;
  };
  const gauge = (name: string, help: string, value: (walk: NonNullable<typeof last>) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        await refresh();
        if (last) this.set(value(last));
      },
    });
  gauge('modelgate_audit_chain_intact', 'Whether the audit log hash chain verifies (1) or is broken (0), walked at scrape at most once per metrics.auditCheckIntervalMs', (w) => (w.intact ? 1 : 0));
  gauge('modelgate_audit_chain_events', 'Audit events in the chain at the last walk', (w) => w.events);
  gauge('modelgate_audit_chain_broken_events', 'Audit events that do not follow from the chain at the last walk (at most 100 counted)', (w) => w.broken);
  gauge('modelgate_audit_chain_checked_timestamp_seconds', 'When the audit chain was last walked', (w) => Math.floor(w.at / 1000));
}
