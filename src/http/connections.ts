import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The server's open TCP connections, each with how many of its requests are
 * being answered (headers whole, answer not yet sent). Node's
 * closeIdleConnections closes a connection between requests, but not one
 * whose client has sent half of its headers, nor, over TLS, one still in its
 * handshake or that never sent a byte: on a stop, those are cut here. The
 * TCP sockets are tracked with or without TLS, since server.close() waits
 * for every one of them.
 */
export class OpenConnections {
  private readonly sockets = new Set<Socket>();
  private readonly answering = new WeakMap<Socket, number>();

  constructor(server: Pick<Server, 'on'>) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const socket = tcpSocketOf(request.socket);
      this.answering.set(socket, (this.answering.get(socket) ?? 0) + 1);
      response.once('close', () => this.answering.set(socket, (this.answering.get(socket) ?? 1) - 1));
    });
  }

  /** Closes every connection without a request being answered; returns how many. */
  closeThoseWithoutRequest(): number {
    let closed = 0;
    for (const socket of this.sockets) {
      if ((this.answering.get(socket) ?? 0) > 0) continue;
      socket.destroy();
      closed += 1;
    }
    return closed;
  }
}

/** The TCP socket a request came on: over TLS, the one under its TLSSocket (which Node keeps as `_parent`). */
function tcpSocketOf(socket: Socket): Socket {
  return (socket as Socket & { _parent?: Socket | null })._parent ?? socket;
}
