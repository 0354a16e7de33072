import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The server's open connections, each with how many of its requests are
 * being answered (headers whole, answer not yet sent). Node's
 * closeIdleConnections closes a connection between requests, but not one
 * whose client has sent half of its headers: on a stop, those are cut here.
 */
export class OpenConnections {
  private readonly sockets = new Set<Socket>();
  private readonly answering = new WeakMap<Socket, number>();

  constructor(server: Pick<Server, 'on'>, tls: boolean) {
    const track = (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    };
    // Over TLS the requests' sockets are the TLS ones, told by secureConnection (connection tells the TCP ones).
    server.on(tls ? 'secureConnection' : 'connection', track);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const socket = request.socket;
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
