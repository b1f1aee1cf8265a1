"""A TCP proxy in a thread of the test process, in front of PostgreSQL, that a test closes and reopens.

Closed, it behaves like a database server that went away: every open connection is cut and new ones are
refused (nothing listens on the port). Reopened, on the same port, connections reach the server again.

    with TcpProxy("127.0.0.1", 5432) as proxy:   # proxy.port: a random free port on 127.0.0.1
        proxy.close(); ...; proxy.reopen()

Also runnable by hand for a manual check: `python tests/faults/proxy.py 5432` prints its port; typing
`c` + Enter closes it, `o` + Enter reopens it.
"""

from __future__ import annotations

import selectors
import socket
import sys
import threading


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int, port: int = 0):
        self.upstream = (upstream_host, upstream_port)
        self.port = port
        self.listener: socket.socket | None = None
        self.pairs: set[tuple[socket.socket, socket.socket]] = set()
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []
        self.open()

    # -- opening and closing --------------------------------------------------------------------------

    def open(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self.port = listener.getsockname()[1]
        self.listener = listener
        thread = threading.Thread(target=self._accept, args=(listener,), name="tcp-proxy-accept", daemon=True)
        thread.start()
        self.threads.append(thread)

    reopen = open

    def close(self) -> None:
        """Stop listening and cut every connection (the server 'went away')."""
        listener, self.listener = self.listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self.lock:
            pairs, self.pairs = self.pairs, set()
        for pair in pairs:
            for sock in pair:
                _hard_close(sock)

    @property
    def is_open(self) -> bool:
        return self.listener is not None

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
        for thread in self.threads:
            thread.join(timeout=2)

    # -- forwarding -----------------------------------------------------------------------------------

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                _hard_close(client)
                continue
            with self.lock:
                if self.listener is not listener:
                    _hard_close(client)
                    _hard_close(server)
                    return
                self.pairs.add((client, server))
            thread = threading.Thread(target=self._pump, args=(client, server), name="tcp-proxy-pump", daemon=True)
            thread.start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        peer = {client: server, server: client}
        with selectors.DefaultSelector() as selector:
            selector.register(client, selectors.EVENT_READ)
            selector.register(server, selectors.EVENT_READ)
            try:
                while True:
                    for key, _ in selector.select(timeout=0.5):
                        data = key.fileobj.recv(65536)
                        if not data:
                            raise ConnectionError("closed")
                        peer[key.fileobj].sendall(data)
                    with self.lock:
                        if (client, server) not in self.pairs:
                            return
            except (OSError, ValueError, ConnectionError):
                pass
            finally:
                with self.lock:
                    self.pairs.discard((client, server))
                _hard_close(client)
                _hard_close(server)


def _hard_close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


if __name__ == "__main__":
    proxy = TcpProxy("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 5432)
    print(f"proxy on 127.0.0.1:{proxy.port}", flush=True)
    for line in sys.stdin:
        if line.strip() == "c":
            proxy.close()
            print("closed", flush=True)
        elif line.strip() == "o":
            proxy.reopen()
            print("open", flush=True)
