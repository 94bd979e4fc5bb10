"""The public pages a worker process has written, served again while nothing they show changed.

A search or a product's page costs a few milliseconds of Python (its queries, the signature's
check, the template); sending one kept costs a tenth of that. A kept page is served only while:

- the catalogue's revision is the one it was written at. The database's own triggers move the
  revision on at every change of a table the pages read (migration 0005), so a publication, a
  verification, a grade or a deprecation is on the next page served, by every worker, whatever
  process or tool wrote it;
- the moment it was given has not come: what changes with the clock alone is a footprint's
  validity running out, so a product's page is given the time its footprint has left, a page
  listing footprints in force the time until the next one expires (web/public.py).

A page is kept by its path, its query and the reader's language: the public pages show nothing
of who asks (no login, no cookie but the language), so two readers asking the same are answered
the same. The pages kept are bounded in bytes and the least recently served go first.

Behind a worker's own pages are those every worker on the machine wrote (page_files.py): a page
not kept here is looked for there before it is written, and a page written here is left there.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from zuji.interfaces.serve_work import Offload
from zuji.interfaces.web.page_files import Kept, Key, PageFiles
from zuji.interfaces.web.render import reader_language


class _Replayed(Response):
    """A kept page sent again: its body and headers as first sent, nothing computed anew, and
    its Age (RFC 9111, 5.1): the seconds since it was written."""

    def __init__(self, kept: Kept, now: float) -> None:
        self.status_code = kept.status
        self.background = None
        self.body = kept.body
        self.raw_headers = [*kept.headers, (b"age", b"%d" % max(now - kept.written, 0))]


class PageCache:
    """Pages by (path, query, language), each with the revision it was written at.

    A kept page is looked up in a thread of its own (`looking`): the revision is a query, not
    for the event loop, and a reader whose page is kept does not wait behind pages being
    written in the page thread (`writing`), a few milliseconds each."""

    def __init__(
        self, most_bytes: int, looking: Offload, writing: Offload, shared: PageFiles | None
    ) -> None:
        self.most_bytes = most_bytes
        self._looking, self._writing = looking, writing
        self._shared = shared
        self._pages: OrderedDict[Key, Kept] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        # Pages answered from what this worker kept, and from what the others left (figures
        # for the operator).
        self.served_again = 0
        self.served_shared = 0

    async def answer(
        self, request: Request, make: Callable[[], tuple[Response, float]]
    ) -> Response:
        """The page kept for `request` if it is still what `make` would write; else what `make`
        writes (a response and the seconds it may be served for), kept for the next reader."""
        if not self.most_bytes:
            return await self._writing.run(lambda: make()[0])
        key = (request.url.path, request.url.query, reader_language(request))
        revision, now, kept = await self._looking.run(lambda: self._find(request, key))
        if kept is not None:
            return kept
        return await self._writing.run(lambda: self._made(key, revision, now, make))

    def _find(self, request: Request, key: Key) -> tuple[int, float, Response | None]:
        # The revision is read before the page is: a change between the two leaves the page
        # kept under the older revision, so it is written again at the next view.
        revision = request.app.state.store.revision()
        now = time.time()
        with self._lock:
            kept = self._pages.get(key)
            if kept is not None and kept.revision == revision and now < kept.until:
                self._pages.move_to_end(key)
                self.served_again += 1
                return revision, now, _Replayed(kept, now)
        kept = self._shared.read(revision, key, now) if self._shared else None
        if kept is None:
            return revision, now, None
        self._keep(key, kept)
        with self._lock:
            self.served_shared += 1
        return revision, now, _Replayed(kept, now)

    def _made(
        self,
        key: Key,
        revision: int,
        now: float,
        make: Callable[[], tuple[Response, float]],
    ) -> Response:
        response, seconds = make()
        if response.status_code < 500 and seconds > 0 and not response.background:
            body, headers = bytes(response.body), tuple(response.raw_headers)
            kept = Kept(revision, now, now + seconds, response.status_code, body, headers)
            self._keep(key, kept)
            if self._shared is not None:
                self._shared.write(key, kept)
        return response

    def _keep(self, key: Key, kept: Kept) -> None:
        if len(kept.body) > self.most_bytes // 8:
            return  # a page that large would push out many others
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._pages[key] = kept
            self._bytes += len(kept.body)
            while self._bytes > self.most_bytes:
                _, dropped = self._pages.popitem(last=False)
                self._bytes -= len(dropped.body)

    def __len__(self) -> int:
        return len(self._pages)
