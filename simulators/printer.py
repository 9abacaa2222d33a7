"""A TCP ESC/POS ticket printer (port 9100 style) that decodes what it is sent."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from simulators.escpos_decoder import EscPosDecoder, Receipt, StatusQuery

__all__ = ["PrinterSimulator"]

log = logging.getLogger(__name__)


class PrinterSimulator:
    """Prints into ``receipts`` (and PNGs in ``image_dir``); can run out of paper."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, image_dir: str | Path | None = None
    ) -> None:
        self.host, self.port = host, port
        self.image_dir = Path(image_dir) if image_dir else None
        self.receipts: list[Receipt] = []
        self.images: list[Path] = []
        self.lost = 0  # tickets sent while the printer could not print
        self.paper_out = False
        self.paper_near_end = False
        self.cover_open = False
        self.cutter_error = False
        self.silent = False  # stop answering status queries (a hung printer)
        self._server: asyncio.Server | None = None
        self._printed = asyncio.Condition()
        self._clients: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        """``tcp://host:port`` of the running simulator."""
        return f"tcp://{self.host}:{self.port}"

    async def start(self) -> str:
        """Listen; return the device URL."""
        self._server = await asyncio.start_server(self._client, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.url

    async def stop(self) -> None:
        """Stop listening and drop every client."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._clients):
                writer.close()
            if self._handlers:  # let each client handler see EOF and finish
                await asyncio.wait(self._handlers, timeout=2.0)
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    def set_paper(self, *, out: bool = False, near_end: bool = False) -> None:
        """Run out of paper (or nearly), or load a new roll."""
        self.paper_out, self.paper_near_end = out, near_end

    def set_cover(self, *, open: bool) -> None:
        """Open or close the cover."""
        self.cover_open = open

    @property
    def ready(self) -> bool:
        """True when a ticket sent now would come out."""
        return not (self.paper_out or self.cover_open or self.cutter_error)

    def status_reply(self, query: StatusQuery) -> bytes:
        """The byte a real printer answers to DLE EOT n / GS r n in the current state."""
        if query.kind == "gs_r":
            return bytes(((0x03 if self.paper_near_end else 0) | (0x0C if self.paper_out else 0),))
        byte = {
            1: 0x08 if not self.ready else 0,
            2: (0x04 if self.cover_open else 0) | (0x20 if self.paper_out else 0)
            | (0x40 if self.cutter_error else 0),
            3: 0x08 if self.cutter_error else 0,
            4: (0x0C if self.paper_near_end else 0) | (0x60 if self.paper_out else 0),
        }.get(query.n)
        return b"" if byte is None else bytes((0x12 | byte,))

    async def wait_for_receipt(self, count: int = 1, timeout: float = 5.0) -> Receipt:
        """Wait until ``count`` receipts have been printed; return the last."""
        async with self._printed:
            await asyncio.wait_for(
                self._printed.wait_for(lambda: len(self.receipts) >= count), timeout
            )
            return self.receipts[count - 1]

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        decoder = EscPosDecoder()
        try:
            while data := await reader.read(4096):
                for event in decoder.feed(data):
                    if isinstance(event, StatusQuery):
                        if not self.silent:
                            writer.write(self.status_reply(event))
                    else:
                        await self._receipt(event)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._clients.discard(writer)
            writer.close()

    async def _receipt(self, receipt: Receipt) -> None:
        if not self.ready:
            self.lost += 1
            return
        if self.image_dir is not None:
            from simulators.ticket_image import render_png

            self.image_dir.mkdir(parents=True, exist_ok=True)
            path = self.image_dir / f"ticket-{len(self.receipts) + 1:04d}.png"
            try:
                self.images.append(await asyncio.to_thread(render_png, receipt, path))
            except Exception:
                log.exception("could not draw %s", path)
        async with self._printed:
            self.receipts.append(receipt)
            self._printed.notify_all()
