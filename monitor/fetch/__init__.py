"""Fetch: a page's URL to its HTML, or a `FetchError` with a short, stable reason.

Takes a `PageConfig` and the fetch settings; gives a `FetchResult` (body, decoded HTML, status, headers).
Each renderer is a `Fetcher` kind (base.py) registered on `monitor.registry.FETCHERS` under its config name:
`http` (http.py: requests), `browser` (browser.py: Playwright driving Chromium), `auto` (auto.py: HTTP
first, the browser when that is not enough). common.py holds what they share: headers, cookies, charset, binary detection;
transport.py the http renderer's exchange of one attempt (session, redirects, capped read, broken connections);
redirects.py where a redirect may go and which credentials go with it; requests_lib.py imports requests
for them all (without chardet, whose guess they never read); chromium.py keeps one Chromium in a thread of its
own and processes.py finds and kills its processes; deadline.py bounds each attempt as a
whole, and its `cancel_all()` interrupts every fetch of the process (they raise `Interrupted`, never recorded).
"""
