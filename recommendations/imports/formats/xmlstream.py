"""One XML part parsed as a stream, in bounded memory.

`stream_elements` parses with lxml (no entities resolved, no DTD, no network, libxml2's own
size limits), yields the elements asked for as they end and drops everything else as it
goes, so a part of millions of rows or stray elements is read in bounded memory.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from lxml import etree

from .limits import AGAIN, CHUNK, MAX_ELEMENT_BYTES, MAX_ELEMENT_CHILDREN, Damaged, NotReadable


def stream_elements(
    stream: io.BufferedIOBase, *, root: str, tags: tuple[str, ...], part: str
) -> Iterator[etree._Element]:
    """Yield each element named in `tags` when it ends, in document order, then clear it.

    Only the elements on the path being parsed and the last 64 KB of markup are held: after
    each chunk every finished element outside the open element of `tags` is dropped. An
    element of `tags` may not span more than MAX_ELEMENT_BYTES of markup or hold more than
    MAX_ELEMENT_CHILDREN children. The root must be `root`."""
    parser = etree.XMLPullParser(
        events=("start", "end"),
        tag=(root, *tags),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    top = held = None
    held_from = fed = 0
    finished = False
    while not finished:
        chunk = stream.read(CHUNK)
        fed += len(chunk)
        try:
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
                finished = True
            events = list(parser.read_events())
        except etree.XMLSyntaxError as error:
            raise Damaged(f"the part {part} is not well-formed XML: {error.msg}") from error
        for event, element in events:
            if event == "start":
                if top is None:
                    if element.tag != root or element.getroottree().docinfo.doctype:
                        raise Damaged(f"the part {part} is not what its name says")
                    top = element
                elif held is None:
                    held, held_from = element, fed
                continue
            if element is top:
                continue
            if element is held:
                held = None
            yield element
            element.clear()
        if top is None and fed > CHUNK * 16:
            raise Damaged(f"the part {part} is not what its name says")
        if held is not None and (
            fed - held_from > MAX_ELEMENT_BYTES or len(held) > MAX_ELEMENT_CHILDREN
        ):
            raise NotReadable(
                f"The part {part} of this file holds a row (or text) larger than a spreadsheet "
                f"allows: it cannot be read. {AGAIN}"
            )
        _prune(top, held)


def _prune(node: etree._Element | None, held: etree._Element | None) -> None:
    """Drop every finished element outside `held`: all but the last child at every level of
    the path being parsed (the last child may still be open)."""
    while node is not None and node is not held:
        if len(node) > 1:
            del node[:-1]
        node = node[-1] if len(node) else None
