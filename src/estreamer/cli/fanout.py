"""``estreamer decode --workers N``: the capture's records decoded by N worker processes.

Issue 11 item 5, for the offline decoder (off by default: ``--workers 1``). The
main process cuts the capture into chunks of whole messages (it reads only the
8-byte message headers) and sends every chunk to every worker. Chunks are dealt
in turn: worker ``k % N`` decodes, decorates and formats chunk ``k``; the other
workers only decode the metadata records in it (those that name ids, a few per
cent of a stream), so every worker's names are those a single process would have
at that point of the stream. The main process writes each chunk's lines in chunk
order, so the output is byte for byte what one process writes; the summary is the
sum of the workers'. Each worker reads the whole stream through one reader, so
offsets in messages are stream offsets, and a framing error is reported by the
worker whose chunk holds it, after the lines before it, as in one process.
"""

from __future__ import annotations

import multiprocessing
import queue
import sys
import threading
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import IO, Any

from estreamer.errors import RemoteProtocolError
from estreamer.gc_tuning import tune_for_streaming
from estreamer.protocol import DEFAULT_MAX_MESSAGE_SIZE, HEADER_SIZE, HEADER_VERSION
from estreamer.protocol import MESSAGE_HEADER as HEADER
from estreamer.records.formatters import get_formatter
from estreamer.records.metadata import MetadataCache

#: bytes of whole messages per chunk: large enough that a chunk's round trip costs
#: little per record, small enough that the workers start early and stay in step
CHUNK_SIZE = 1 << 19


def message_chunks(source: IO[bytes], size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """The stream in chunks that end at message boundaries (from the message headers
    alone). From a header that is not a message header (wrong version, a length over
    the limit) on, the rest of the stream is one last chunk: the workers' reader then
    reports the broken framing with its offset, as one process would."""
    buffer = b""
    at = 0  # the first byte of buffer not yet given out belongs to a message at `at`
    broken = False
    while True:
        data = source.read(size)
        if not data:
            break
        buffer += data
        if broken:
            continue
        cut = 0
        while at + HEADER_SIZE <= len(buffer):
            version, _, length = HEADER.unpack_from(buffer, at)
            if version != HEADER_VERSION or length > DEFAULT_MAX_MESSAGE_SIZE:
                broken = True
                break
            if at + HEADER_SIZE + length > len(buffer):
                break
            at += HEADER_SIZE + length
            cut = at
        if cut >= size:
            yield buffer[:cut]
            buffer, at = buffer[cut:], at - cut
    if buffer:
        yield buffer


def _work(index: int, count: int, inbox: Connection, outbox: Connection, format_name: str,
          cache_json: str | None, forked: bool) -> None:
    """A worker: every chunk through one reader; its own chunks' lines sent back."""
    from estreamer.cli.decode import DecodeSummary, decode_stream

    if not forked:
        tune_for_streaming()  # a forked worker has the main process's settings
    formatter = get_formatter(format_name)
    cache = MetadataCache() if cache_json is None else MetadataCache.from_json(cache_json)
    summary = DecodeSummary()
    lines: list[str] = []
    own = [False]  # whether the chunk being read is this worker's

    def text(batch: list[str]) -> bytes:
        """The lines as the main process's standard output would encode them."""
        batch.append("")
        return "\n".join(batch).encode(sys.stdout.encoding, sys.stdout.errors or "strict")

    def send_lines() -> None:
        outbox.send(("lines", text(lines)))
        lines.clear()

    def chunks() -> Iterator[bytes]:
        number = 0
        while True:
            data = inbox.recv_bytes()
            # every record of the chunk before has been read and its line made
            if own[0]:
                send_lines()
            # the end of the stream is dealt in turn too: a message it cuts is reported
            # by the worker the main process then waits for
            own[0] = number % count == index
            number += 1
            if not data:
                return
            yield data

    def final_cache() -> str | None:
        """The names at the end, for --metadata-cache (all workers have the same)."""
        return cache.to_json() if cache_json is not None and index == 0 else None

    try:
        # in other workers' chunks, decode_stream only learns names and yields nothing
        for record in decode_stream(chunks(), cache, summary, names_only=lambda: not own[0]):
            lines.append(formatter(record))
    except RemoteProtocolError as err:
        if own[0]:
            outbox.send(("broken", text(lines), str(err)))
        outbox.send(("stopped", summary, final_cache()))
        return
    outbox.send(("done", summary, final_cache()))


#: chunks read ahead for each worker: a worker busy with its own chunk must not hold
#: back the others' next chunks (one pipe write at a time would)
READ_AHEAD = 8


def _feed(source: IO[bytes], inboxes: list[Connection], stop: threading.Event) -> None:
    """Send every chunk to every worker, then the end (an empty chunk): one sending
    thread per worker, each with its own queue, so each worker reads at its own pace."""
    queues: list[queue.Queue[bytes]] = [queue.Queue(READ_AHEAD) for _ in inboxes]

    def send(chunks: queue.Queue[bytes], inbox: Connection) -> None:
        try:
            while True:
                chunk = chunks.get()
                inbox.send_bytes(chunk)
                if not chunk:
                    return
        except OSError:  # the worker stopped (framing broken): the main thread reports it
            stop.set()

    def put(chunk: bytes) -> None:
        for chunks in queues:
            while not stop.is_set():
                try:
                    chunks.put(chunk, timeout=0.2)
                    break
                except queue.Full:
                    continue

    for chunks, inbox in zip(queues, inboxes):
        threading.Thread(target=send, args=(chunks, inbox), daemon=True).start()
    for chunk in message_chunks(source):
        put(chunk)
        if stop.is_set():
            return
    put(b"")


def decode_in_workers(source: IO[bytes], count: int, format_name: str,
                      cache_json: str | None, out: Any) -> tuple[Any, str | None, str | None]:
    """Decode ``source`` with ``count`` workers, writing the lines to ``out`` (a binary
    stream) in stream order. ``cache_json``: the metadata cache to start from (then
    the final one is returned). Returns (the summed DecodeSummary, the framing error or
    None, the final metadata cache as JSON or None)."""
    from estreamer.cli.decode import DecodeSummary

    # fork: the workers start with the modules already imported (spawn elsewhere)
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context: Any = multiprocessing.get_context(method)
    # before the fork: a collection in each worker would touch (and so copy) every page
    # of the objects it shares with this process
    tune_for_streaming()
    workers, inboxes, outboxes = [], [], []
    for index in range(count):
        inbox_read, inbox_write = context.Pipe(duplex=False)
        outbox_read, outbox_write = context.Pipe(duplex=False)
        worker = context.Process(target=_work, name=f"estreamer-decode-{index}", daemon=True,
                                 args=(index, count, inbox_read, outbox_write, format_name,
                                       cache_json, method == "fork"))
        worker.start()
        inbox_read.close()
        outbox_write.close()
        workers.append(worker)
        inboxes.append(inbox_write)
        outboxes.append(outbox_read)
    stop = threading.Event()
    feeder = threading.Thread(target=_feed, args=(source, inboxes, stop), daemon=True)
    feeder.start()
    summary, error, cache_json = DecodeSummary(), None, None
    ended: set[int] = set()  # workers whose last message ("done" or "stopped") is read

    def last_message(index: int, message: tuple) -> None:
        nonlocal cache_json
        ended.add(index)
        part = message[1]  # what this worker counted in its own chunks
        summary.per_type.update(part.per_type)
        summary.errors.update(part.errors)
        summary.server_errors += part.server_errors
        if message[-1] is not None and index == 0:
            cache_json = message[-1]

    try:
        number = 0  # the chunk whose lines come next
        while error is None and len(ended) < count:
            index = number % count
            message = outboxes[index].recv()
            if message[0] == "lines":
                out.write(message[1])
                number += 1
            elif message[0] == "broken":
                out.write(message[1])
                error = message[2]
            else:  # no chunk `number`: every chunk is written
                last_message(index, message)
                number += 1
        for index in sorted(set(range(count)) - ended):
            message = outboxes[index].recv()
            while message[0] in ("lines", "broken"):  # after the broken chunk: not written
                message = outboxes[index].recv()
            last_message(index, message)
    except EOFError:
        error = error or "a decoding worker ended unexpectedly"
    finally:
        stop.set()
        out.flush()
        for inbox in inboxes:
            inbox.close()
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.terminate()
        feeder.join(timeout=5)
    if error is None and any(worker.exitcode for worker in workers):
        error = "a decoding worker failed: " + ", ".join(
            f"{w.name} exit {w.exitcode}" for w in workers if w.exitcode)
    return summary, error, cache_json
