import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketOptions } from './websocket.ts';

type Attached = ReturnType<typeof import('./websocket.ts').attachWebSocket>;
type Upgrade = [req: IncomingMessage, socket: Duplex, head: Buffer];

/**
 * The WebSocket server (graphql-ws and ws, ~150 ms of imports) loads on the first `upgrade`
 * request, not at start-up: most gateways never see a subscriber. Upgrades that arrive while
 * it loads wait and are then handed to it in order.
 */
export function attachWebSocketOnDemand(options: WebSocketOptions) {
  const { httpServer, log } = options;
  let loading: Promise<Attached | null> | null = null;
  let closed = false;
  const waiting: Upgrade[] = [];
  // Node leaves an upgraded socket without an error listener: one reset while we load would crash the process.
  const ignoreReset = () => undefined;

  const onFirstUpgrades = (...upgrade: Upgrade) => {
    upgrade[1].on('error', ignoreReset);
    waiting.push(upgrade);
    // A failure to load or to attach is one failure (.catch after .then): the waiting get 503, never a hang.
    loading ??= import('./websocket.ts')
      .then(({ attachWebSocket }) => {
        if (closed) return null;
        const attached = attachWebSocket(options);
        // Off only once attached: if attaching throws, the next upgrade tries again.
        httpServer.off('upgrade', onFirstUpgrades);
        // attachWebSocket listens on 'upgrade' itself: the waiting requests go to it as if they had just arrived.
        for (const [req, socket, head] of waiting.splice(0)) {
          socket.off('error', ignoreReset);
          if (!socket.destroyed) httpServer.emit('upgrade', req, socket, head);
        }
        return attached;
      })
      .catch((error: unknown) => {
        // Nothing to serve them with: refuse plainly, and try loading again on the next upgrade.
        log.error({ err: error }, 'loading the WebSocket server failed');
        loading = null;
        for (const [, socket] of waiting.splice(0)) {
          socket.end('HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nsubscriptions are unavailable\n');
        }
        return null;
      });
  };
  httpServer.on('upgrade', onFirstUpgrades);

  return {
    /** Closes every connection (1001 going away), if the server was ever loaded, and stops accepting new ones. */
    async close(): Promise<void> {
      closed = true;
      httpServer.off('upgrade', onFirstUpgrades);
      for (const [, socket] of waiting.splice(0)) socket.destroy();
      await (await loading)?.close();
    },
  };
}
