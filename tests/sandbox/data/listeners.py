"""Host-side listeners the sandbox attacks try to reach: TCP and UDP on 127.0.0.1, a pathname
Unix socket and an abstract Unix socket. Each answers with a marker. Prints one JSON line with
the addresses, then serves until its standard input closes.

    python listeners.py SOCKET_PATH ABSTRACT_NAME
"""

import asyncio
import json
import os
import socket
import sys


async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, marker: bytes) -> None:
    writer.write(marker)
    await writer.drain()
    writer.close()


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport):  # type: ignore[no-untyped-def]
        self.transport = transport

    def datagram_received(self, data, addr):  # type: ignore[no-untyped-def]
        self.transport.sendto(b"HOST-UDP-REACHED", addr)


async def main(path: str, abstract: str) -> None:
    loop = asyncio.get_running_loop()
    tcp = await asyncio.start_server(lambda r, w: reply(r, w, b"HOST-TCP-REACHED"), "127.0.0.1", 0)
    unix = await asyncio.start_unix_server(lambda r, w: reply(r, w, b"HOST-UNIX-REACHED"), path)
    os.chmod(path, 0o777)  # anyone may connect: only the sandbox may stop them
    abstract_sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract_sock.bind("\0" + abstract)
    abstract_server = await asyncio.start_unix_server(
        lambda r, w: reply(r, w, b"HOST-ABSTRACT-REACHED"), sock=abstract_sock
    )
    udp, _ = await loop.create_datagram_endpoint(Echo, local_addr=("127.0.0.1", 0))
    print(
        json.dumps(
            {
                "tcp": tcp.sockets[0].getsockname()[1],
                "udp": udp.get_extra_info("sockname")[1],
                "unix": path,
                "abstract": abstract,
            }
        ),
        flush=True,
    )
    await loop.run_in_executor(None, sys.stdin.read)  # until the test closes our stdin
    for server in (tcp, unix, abstract_server):
        server.close()
    udp.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
